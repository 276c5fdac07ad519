// Training and evaluation: optimizers, YOLOv5's nominal-batch trainer, checkpoints,
// AutoBatch, the simulated device-memory budget, and detection/classification metrics.
export * from "./nominalBatch";
export { loaderBatchSizes } from "./loaderBatchSizes";
export { Optimizer, ParamGroup, OptimizerState } from "./optim/optimizer";
export { SGD } from "./optim/sgd";
export { Adam } from "./optim/adam";
export { yoloParamGroups, defaultParamKind, ParamKind, GroupOptions } from "./optim/paramGroups";
export { GradientAccumulator, clipGradNorm } from "./gradientAccumulator";
export { Trainer, TrainerOptions, TrainResult, LossResult } from "./trainer";
export { BatchEvent, EpochEvent, EndEvent, TrainerEvents, TypedEmitter } from "./events";
export { saveCheckpoint, loadCheckpoint, stateDict, CheckpointInfo } from "./checkpoint";
export { writeFileAtomic } from "./atomicWrite";
export { appendRunLog, readRunLog } from "./runLog";
export { autobatch, linearFit, modelProfiler, AutoBatchOptions, AutoBatchResult, BatchProfiler } from "./autobatch";
export { setMemoryBudget, memoryBudget, deviceMemoryStats, resetDeviceMemory, emptyCache, measureMemory, withMemoryBudget } from "./memory/budget";
export { PhaseMemory, MemoryPhase } from "./memory/deviceMemory";
export { CachingAllocator, AllocatorStats } from "./memory/cachingAllocator";
export { OutOfMemoryError, OutOfMemoryDetails, outOfMemoryMessage } from "./memory/outOfMemoryError";
export { formatSize, parseBytes } from "./memory/format";
export { Box, xywh2xyxy, boxIou, boxIouMatrix, boxArea } from "./metrics/boxes";
export { nonMaxSuppression, nmsImage, Detection, NmsOptions } from "./metrics/nms";
export { computeAp, apPerClass, ApPerClass } from "./metrics/averagePrecision";
export { DetectionEvaluator, matchDetections, DetectionMetrics, LabelBox, IOU_THRESHOLDS, SIZE_RANGES } from "./metrics/detectionMetrics";
export { topkAccuracy } from "./metrics/classification";
export { multiLabelScores, MultiLabelScores } from "./metrics/multilabel";
