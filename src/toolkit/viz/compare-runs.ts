// Several runs' curves overlaid in one figure, for reviewing experiments (`%loss`).
// A curve is the total loss or one loss part per iteration, or a validation metric per epoch.
import { figure, type PlotlyFigure, type PlotlyTrace } from "../../display";
import type { RunRecord } from "./run-registry";
import { downsample, metricX } from "./training-figure";

/** The curve names these runs can be compared on: "loss", the loss parts, then the metrics. */
export function comparableCurves(runs: RunRecord[]): string[] {
  const names = new Set<string>(["loss"]);
  for (const r of runs) Object.keys(r.iterations.items).forEach((k) => names.add(k));
  for (const r of runs) Object.keys(r.epochEnds.metrics).forEach((k) => names.add(k));
  return [...names];
}

function curveOf(run: RunRecord, curve: string): { x: number[]; y: number[]; perEpoch: boolean } | undefined {
  if (curve === "loss") return { ...downsample(run.iterations.x, run.iterations.loss), perEpoch: false };
  const part = run.iterations.items[curve];
  if (part) return { ...downsample(run.iterations.x, part), perEpoch: false };
  const metric = run.epochEnds.metrics[curve];
  if (metric) return { x: metricX(run), y: metric.slice(), perEpoch: true };
  return undefined;
}

/** One trace per run that has `curve`; throws a RangeError naming the curves there are when none has it. */
export function compareRunsFigure(runs: RunRecord[], curve = "loss"): PlotlyFigure {
  const known = comparableCurves(runs);
  if (!known.includes(curve)) throw new RangeError(`no run has a curve named "${curve}"; curves: ${known.join(", ")}`);
  const data: PlotlyTrace[] = [];
  let perEpoch = false;
  for (const run of runs) {
    const c = curveOf(run, curve);
    if (!c) continue;
    perEpoch = c.perEpoch;
    data.push({ type: "scatter", mode: c.perEpoch ? "lines+markers" : "lines", name: run.name, x: c.x, y: c.y });
  }
  return figure(data, {
    title: { text: `${curve}: ${data.map((t) => t.name).join(" vs ")}` },
    height: 380,
    xaxis: { title: { text: "epoch" }, rangemode: "tozero" },
    yaxis: { title: { text: perEpoch ? `${curve} (per epoch)` : curve } },
  });
}
