// runs: YOLOv5 run folders (runs/train/exp*/ from train.py) for review in a notebook:
// lab.runs.load reads them, lab.runs.diff tables what differs, lab.runs.figure overlays curves.
import { loadRuns } from "./load";
import { diffRuns } from "./diff";
import { runsFigure } from "./figure";

export const runs = { load: loadRuns, diff: diffRuns, figure: runsFigure };

export { loadRuns, distinctNames, type LoadRunsOptions } from "./load";
export { diffRuns, BOOKKEEPING_KEYS, type DiffOptions } from "./diff";
export { runsFigure, collectCurves, yoloCurve, yoloCurveNames, type RunsFigureOptions, type RunCurves } from "./figure";
export { YoloRun, readRunFolder, listWeights, type BestMetric } from "./run-folder";
export { readResultsCsv, parseResultsCsv, type ParsedResults, type ResultsTable } from "./results-csv";
export { readRunYaml, type RunYaml } from "./run-yaml";
export { matchFolders, segmentRegExp, NoMatchError } from "./glob";
export { naturalCompare } from "./natural-sort";
export { curveKey, findCurveName } from "./curve-names";
