// Several runs' curves overlaid in one figure, for reviewing experiments (`%loss`).
// A curve is the total loss or one loss part per iteration, or a validation metric per epoch.
// Curves from elsewhere (YOLOv5 run folders, see toolkit/runs) join through RunCurve.
import { figure, type PlotlyFigure, type PlotlyTrace } from "../../display";
import type { RunRecord } from "./run-registry";
import { curveMode, downsample, metricX } from "./training-figure";

/** The curve names these runs can be compared on: "loss", the loss parts, then the metrics. */
export function comparableCurves(runs: RunRecord[]): string[] {
  const names = new Set<string>(["loss"]);
  for (const r of runs) Object.keys(r.iterations.items).forEach((k) => names.add(k));
  for (const r of runs) Object.keys(r.epochEnds.metrics).forEach((k) => names.add(k));
  return [...names];
}

/** One run's curve, ready to draw; x is in epochs (fractional per iteration, e + 1 at the end of epoch e). */
export interface RunCurve {
  name: string;
  x: number[];
  y: number[];
  /** One point per epoch (drawn with markers) rather than one per iteration. */
  perEpoch: boolean;
}

/** `curve` of a session run (by its exact name), or undefined when the run does not have it. */
export function runCurve(run: RunRecord, curve: string): RunCurve | undefined {
  const name = run.name;
  if (curve === "loss") return { name, ...downsample(run.iterations.x, run.iterations.loss), perEpoch: false };
  const part = run.iterations.items[curve];
  if (part) return { name, ...downsample(run.iterations.x, part), perEpoch: false };
  const metric = run.epochEnds.metrics[curve];
  if (metric) return { name, x: metricX(run), y: metric.slice(), perEpoch: true };
  return undefined;
}

/** One trace per curve, titled `curve: a vs b`. */
export function curvesFigure(curves: RunCurve[], curve: string): PlotlyFigure {
  const data: PlotlyTrace[] = curves.map((c) => ({
    type: "scatter",
    mode: c.perEpoch ? "lines+markers" : curveMode(c.y),
    name: c.name,
    x: c.x,
    y: c.y,
  }));
  const perEpoch = curves.length > 0 && curves.every((c) => c.perEpoch);
  return figure(data, {
    title: { text: `${curve}: ${curves.map((c) => c.name).join(" vs ")}` },
    height: 380,
    xaxis: { title: { text: "epoch" }, rangemode: "tozero" },
    yaxis: { title: { text: perEpoch ? `${curve} (per epoch)` : curve } },
  });
}

/** One trace per run that has `curve`; throws a RangeError naming the curves there are when none has it. */
export function compareRunsFigure(runs: RunRecord[], curve = "loss"): PlotlyFigure {
  const known = comparableCurves(runs);
  if (!known.includes(curve)) throw new RangeError(`no run has a curve named "${curve}"; curves: ${known.join(", ")}`);
  const curves = runs.map((r) => runCurve(r, curve)).filter((c): c is RunCurve => c !== undefined);
  return curvesFigure(curves, curve);
}
