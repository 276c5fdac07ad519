// data: synthetic dataset writers, format loaders, letterbox and the DataLoader.
// Tensors are NHWC: images [H, W, 3] per item, [B, H, W, 3] per batch.
export { Prng, mixSeed } from "./prng";
export {
  RgbImage,
  FloatImage,
  ImageFormat,
  IMAGE_EXTENSIONS,
  IMAGENET_MEAN,
  IMAGENET_STD,
  readImageFile,
  decodeImage,
  encodeImage,
  writeImageFile,
  resizeImage,
  centerCropResize,
  toFloatImage,
} from "./image";
export { cv2Resize, type Cv2Image, type Cv2Interpolation } from "./cv2-resize";
export { letterbox, LetterboxOptions, LetterboxResult, padImage, pyRound } from "./letterbox";
export { classNames, classAppearance, ClassAppearance, SizeBand, DEFAULT_SIZE_BANDS, MAX_CLASSES } from "./shapes";
export { generateDetectionDataset, DetectionDatasetOptions, DetectionDatasetInfo } from "./generate-detection";
export { generateClassificationDataset, ClassificationDatasetOptions, ClassificationDatasetInfo } from "./generate-classification";
export { generateMultiLabelDataset, MultiLabelDatasetOptions, MultiLabelDatasetInfo } from "./generate-multilabel";
export { readDataYaml, DataYaml } from "./data-yaml";
export { parseYoloLabels, imageToLabelPath, ParsedLabels, CorruptLabelError } from "./yolo-labels";
export { YoloDataset, YoloDatasetOptions, YoloItem, YoloBatch, YoloScanStats, collateDetection } from "./yolo-dataset";
export { LabelCacheInfo } from "./scan-split";
export { LABEL_CACHE_SUFFIX, LABEL_CACHE_VERSION, CacheMiss } from "./label-cache";
export { ScanProgress, scanProgressText } from "./scan-progress";
export { ImageFolderDataset, ImageFolderOptions, ClassificationItem, ClassificationBatch } from "./imagefolder-dataset";
export { MultiLabelListDataset, MultiLabelListOptions, MultiLabelItem, MultiLabelBatch } from "./multilabel-dataset";
export { DataLoader, DataLoaderOptions, IterateOptions, Dataset, ItemOf, DefaultBatch } from "./dataloader";
export { stackImages } from "./stack";
export { Warn } from "./errors";
