// nn: the toolkit's models and their blocks (Module itself is exported by src/toolkit/index.ts).
export { manualSeed } from "./init";
export { Conv2d, Conv2dOptions, BatchNorm2d, Linear, SiLU, ReLU, MaxPool2d, Upsample, GlobalAvgPool, Dropout } from "./layers";
export {
  Conv,
  Bottleneck,
  C3,
  SPPF,
  SPP,
  Focus,
  Concat,
  Classify,
  Sequential,
  ModuleList,
  autopad,
  checkCatShapes,
  YOLO_BN_EPS,
  YOLO_BN_MOMENTUM,
} from "./common";
export { Detect, detectDecode, DecodeOptions, DEFAULT_ANCHORS, DEFAULT_STRIDES, anchorPairs } from "./detect";
export {
  YOLOv5,
  yolov5,
  yolov5Yaml,
  scaleOfYaml,
  YoloOptions,
  YoloOutput,
  YoloScale,
  YOLO_SCALES,
  YOLOV5_BACKBONE,
  YOLOV5_HEAD,
  checkImgSize,
} from "./yolo";
export { parseModel, runLayers, makeDivisible, LayerSpec, YoloModelYaml, BuiltLayer } from "./parse-model";
export { YOLOv5Cls, yolov5cls, YoloClsOptions } from "./classify";
export { MobileNetV1, mobilenetV1, ConvBNLayer, DepthwiseSeparable } from "./mobilenet";
export { SmallCnn, smallCnn } from "./small-cnn";
