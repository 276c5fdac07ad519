// viz: the live training view (one plotly figure per run, updated in place), the session's
// run registry behind `%loss`, and images: detections drawn on their image, batches as grids.
export { liveTrainingView, LiveTrainingView, type LiveTrainingViewOptions, type TrainingEventSource } from "./live-training-view";
export {
  startRun,
  sessionRuns,
  getRun,
  clearRuns,
  saveRun,
  readRun,
  loadRuns,
  type RunRecord,
  type RunStatus,
  type IterationSeries,
  type EpochSeries,
} from "./run-registry";
export { trainingFigure, downsample, MAX_CURVE_POINTS } from "./training-figure";
export { compareRunsFigure, comparableCurves } from "./compare-runs";
export { ProgressLine, progressText, summaryText, formatDuration, type ProgressState, type RunSummary } from "./progress-line";
export {
  drawDetections,
  detectionRows,
  type DetectionsInput,
  type DrawDetectionsOptions,
  type DrawOptions,
  type BoxRow,
} from "./draw-detections";
export { imageGrid, type GridLabels, type ImageGridOptions } from "./image-grid";
export { classColor } from "./labels-svg";
export { toRgb, type ImageInput, type Rgb } from "./raster";
