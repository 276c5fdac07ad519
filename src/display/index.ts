// Rich display: mime bundles for values, and the preloaded display helpers.
import "./reprs/tensor";
import "./reprs/arquero";
import "./reprs/plotly";
import "./reprs/opaque";
export { toMimeBundle, prepareForDisplay, registerRepr, type MimeBundle, JUPYTER_DISPLAY, escapeHtml, type Repr, type Rich } from "./mime";
export { display, clearOutput, input, type DisplayOptions } from "./display";
export { currentCellOutput, setCellOutputHost, type CellOutput, type CellOutputHost } from "./cell-output";
export { figure, figureOfBundle, PlotlyFigure, type PlotlyFigureSpec, type PlotlyTrace } from "./reprs/plotly";
export { copyPlotlyLibrary } from "./reprs/plotly-library";
export { PngImage } from "./reprs/image";
export { isTensor, tensorBytes, tensorHeader, formatBytes } from "./reprs/tensor";
export { isTable, tableText } from "./reprs/arquero";
