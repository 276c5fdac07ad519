// infer: YOLOv5's detect.py and val.py on a model (NMS, letterboxed inference, mAP).
export { nms, nmsRows, type YoloNmsOptions, type DetectionRow } from "./nms";
export { detect, type DetectOptions, type Detections, type ImageDetections, type DetectSource } from "./detect";
export { val, type ValOptions, type ValResult, type ValClassResult } from "./val";
export { scaleBoxes, clipBoxes, type Shape2 } from "./scale-boxes";
