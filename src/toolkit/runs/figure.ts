// Curves of YOLOv5 runs per epoch, from results.csv, overlaid with the session's own runs
// (run-registry) in one plotly figure: lab.runs.figure and `%loss --yolo`.
import type { PlotlyFigure } from "../../display";
import type { RunRecord } from "../viz/run-registry";
import { comparableCurves, curvesFigure, runCurve, type RunCurve } from "../viz/compare-runs";
import { curveKey, findCurveName, shortColumnName, trainLossColumns } from "./curve-names";
import type { YoloRun } from "./run-folder";

/** The curve names a YOLOv5 run has: "loss", then its results.csv columns as people write them. */
export function yoloCurveNames(run: YoloRun): string[] {
  const names = ["loss"];
  for (const c of run.results.columnNames()) if (c !== "epoch" && curveKey(c) !== "loss") names.push(shortColumnName(c));
  return names;
}

/**
 * A YOLOv5 run's curve per epoch. "loss" is the sum of the training loss parts
 * (train/box_loss + obj_loss + cls_loss, + seg_loss in segmentation runs), as YOLOv5 sums
 * its loss items. A row is the mean over epoch e, written when the epoch ended, so it is
 * drawn at x = e + 1: where a session run's iteration curve (x = epoch + (batch + 1) / batches)
 * reaches the end of that epoch, and where its per-epoch metrics sit (metricX).
 */
export function yoloCurve(run: YoloRun, metric: string): RunCurve | undefined {
  const columns = run.results.columnNames();
  let y: number[] | undefined;
  if (curveKey(metric) === "loss") {
    const parts = trainLossColumns(columns).map((c) => run.column(c)!);
    if (parts.length) y = parts[0].map((_, i) => parts.reduce((s, p) => s + p[i], 0));
  } else {
    const column = findCurveName(
      columns.filter((c) => c !== "epoch"),
      metric,
    );
    if (column) y = run.column(column);
  }
  if (!y) return undefined;
  return { name: run.name, x: run.epochNumbers().map((e) => e + 1), y, perEpoch: true };
}

/** A session run's curve by any spelling of its name (`mAP_0.5` finds `mAP@0.5`). */
function sessionCurve(run: RunRecord, metric: string): RunCurve | undefined {
  const name = findCurveName(comparableCurves([run]), metric);
  return name === undefined ? undefined : runCurve(run, name);
}

export interface RunCurves {
  curves: RunCurve[];
  /** Names of the runs without the curve (left out of the figure). */
  without: string[];
}

/**
 * The curve of every run that has it, session runs first; a YOLOv5 run named like a session
 * run is labelled "name (YOLOv5)". Throws a RangeError listing the names there are when no
 * run has the curve.
 */
export function collectCurves(yoloRuns: YoloRun[], sessionRuns: RunRecord[], metric: string): RunCurves {
  const curves: RunCurve[] = [],
    without: string[] = [];
  for (const r of sessionRuns) {
    const c = sessionCurve(r, metric);
    if (c) curves.push(c);
    else without.push(r.name);
  }
  const sessionNames = new Set(sessionRuns.map((r) => r.name));
  for (const r of yoloRuns) {
    const c = yoloCurve(r, metric);
    const label = sessionNames.has(r.name) ? `${r.name} (YOLOv5)` : r.name;
    if (c) curves.push({ ...c, name: label });
    else without.push(label);
  }
  if (!curves.length) {
    const yoloNames = [...new Set(yoloRuns.flatMap(yoloCurveNames))];
    const lists = [
      sessionRuns.length ? `${comparableCurves(sessionRuns).join(", ")}${yoloRuns.length ? " (session runs)" : ""}` : "",
      yoloRuns.length ? `${yoloNames.join(", ")}${sessionRuns.length ? " (YOLOv5 runs)" : ""}` : "",
    ].filter(Boolean);
    throw new RangeError(`no run has a curve named "${metric}". Curves: ${lists.join("; ") || "(no runs)"}`);
  }
  return { curves, without };
}

export interface RunsFigureOptions {
  /** The curve: "loss" (default), a loss part (box_loss or box...), a metric (mAP_0.5, mAP@0.5...). */
  metric?: string;
  /** The session's runs (lab.sessionRuns()) to draw with the YOLOv5 runs. */
  sessionRuns?: RunRecord[];
}

/** lab.runs.figure: one trace per run with the curve; YOLOv5 runs per epoch. */
export function runsFigure(runs: YoloRun | YoloRun[], opts: RunsFigureOptions = {}): PlotlyFigure {
  const metric = opts.metric ?? "loss";
  const { curves } = collectCurves(Array.isArray(runs) ? runs : [runs], opts.sessionRuns ?? [], metric);
  return curvesFigure(curves, metric);
}
