// Training and evaluation: optimizers, YOLOv5's nominal-batch trainer, checkpoints,
// ModelEMA, AutoBatch, the simulated device-memory budget, and detection/classification metrics.
export * from "./nominal-batch";
export { HYP_DEFAULTS, HYP_OPTION_NAMES, NOMINAL_BATCH_SIZE, MIN_WARMUP_ITERATIONS, resolveHyp, Hyp, HypName, HypOptionName } from "./hyp";
export { ModelEMA, ModelEMAOptions } from "./model-ema";
export { LoopLocals } from "./loop-locals";
export { loaderBatchSizes } from "./loader-batch-sizes";
export { Optimizer, ParamGroup, OptimizerState } from "./optim/optimizer";
export { SGD } from "./optim/sgd";
export { Adam } from "./optim/adam";
export { yoloParamGroups, defaultParamKind, ParamKind, GroupOptions } from "./optim/param-groups";
export { GradientAccumulator, clipGradNorm } from "./gradient-accumulator";
export { Trainer, TrainerOptions, TrainResult, LossResult } from "./trainer";
export { BatchEvent, EpochEvent, EndEvent, TrainerEvents, TypedEmitter } from "./events";
export { saveCheckpoint, loadCheckpoint, stateDict, CheckpointInfo } from "./checkpoint";
export { writeFileAtomic } from "./atomic-write";
export { appendRunLog, readRunLog } from "./run-log";
export { autobatch, linearFit, modelProfiler, AutoBatchOptions, AutoBatchResult, BatchProfiler } from "./autobatch";
export {
  setMemoryBudget,
  memoryBudget,
  deviceMemoryStats,
  resetDeviceMemory,
  emptyCache,
  measureMemory,
  withMemoryBudget,
} from "./memory/budget";
export { PhaseMemory, MemoryPhase } from "./memory/device-memory";
export { CachingAllocator, AllocatorStats } from "./memory/caching-allocator";
export { OutOfMemoryError, OutOfMemoryDetails, outOfMemoryMessage } from "./memory/out-of-memory-error";
export { formatSize, parseBytes } from "./memory/format";
export { Box, xywh2xyxy, boxIou, boxIouMatrix, boxArea } from "./metrics/boxes";
export { nonMaxSuppression, nmsImage, Detection, NmsOptions } from "./metrics/nms";
export { computeAp, apPerClass, ApPerClass } from "./metrics/average-precision";
export { DetectionEvaluator, matchDetections, DetectionMetrics, LabelBox, IOU_THRESHOLDS, SIZE_RANGES } from "./metrics/detection-metrics";
export { topkAccuracy } from "./metrics/classification";
export { multiLabelScores, MultiLabelScores } from "./metrics/multilabel";
