// weights: models in and out of the PyTorch world (YOLOv5 .pt checkpoints, safetensors,
// state_dicts in PyTorch's layout).
export { loadYolov5, inferStandardYaml, type LoadYolov5Options, type LoadedYolov5, type YoloCheckpointInfo } from "./yolov5-checkpoint";
export { saveSafetensors, loadSafetensors, SAFETENSORS_METADATA_KEYS } from "./safetensors-model";
export { loadTorchStateDict, torchStateDict, type TorchLayoutTensor, type LoadStateDictOptions } from "./state-dict";
