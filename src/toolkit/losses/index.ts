// losses: PyTorch's cross-entropy, yolov5's ComputeLoss, PaddleClas's MultiLabelLoss
// and a detector distillation loss, with the original frameworks' error names and texts.
export { crossEntropy, CrossEntropyOptions } from "./cross-entropy";
export {
  ComputeLoss,
  computeLoss,
  ComputeLossOptions,
  ComputeLossResult,
  YoloLossHyp,
  smoothBce,
  focalLossElementwise,
} from "./yolo-compute-loss";
export { bboxCiou } from "./bbox-iou";
export { multiLabelLoss, MultiLabelLossOptions } from "./multilabel-loss";
export { distillationLoss, DistillationLossOptions, flattenDetectorMaps } from "./distillation-loss";
