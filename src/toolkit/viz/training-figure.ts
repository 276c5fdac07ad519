// One run as a plotly figure: loss curves per iteration (each loss part, or the total when
// the loss has no parts) with the learning rate on a second y axis, and the per-epoch
// metrics in a panel below. The x axis is the fractional epoch.
import { figure, type PlotlyFigure, type PlotlyTrace } from "../../display";
import type { RunRecord } from "./run-registry";

/** Most points a curve sends to the notebook; longer series are averaged in buckets (the registry keeps every point). */
export const MAX_CURVE_POINTS = 1500;

/** Averages consecutive points into at most `max` buckets; non-finite values are skipped. */
export function downsample(x: number[], y: number[], max = MAX_CURVE_POINTS): { x: number[]; y: number[] } {
  if (x.length <= max) return { x: x.slice(), y: y.slice() };
  const bx: number[] = [],
    by: number[] = [];
  const per = x.length / max;
  for (let b = 0; b < max; b++) {
    const lo = Math.floor(b * per),
      hi = Math.floor((b + 1) * per);
    let sy = 0,
      n = 0;
    for (let i = lo; i < hi; i++)
      if (Number.isFinite(y[i])) {
        sy += y[i];
        n++;
      }
    bx.push(x[hi - 1]);
    by.push(n ? sy / n : NaN);
  }
  return { x: bx, y: by };
}

/** plotly draws no line through a single point, so a curve of one point (a run's first iteration) also gets its marker. */
export function curveMode(y: ArrayLike<number>): "lines" | "lines+markers" {
  let finite = 0;
  for (let i = 0; i < y.length && finite < 2; i++) if (Number.isFinite(y[i])) finite++;
  return finite < 2 ? "lines+markers" : "lines";
}

/** Names for the learning-rate series: one "lr" when every group has the same lr, else YOLOv5's lr0, lr1, lr2. */
export function lrSeries(run: RunRecord): { name: string; y: number[] }[] {
  const groups = run.iterations.lr;
  if (!groups.length) return [];
  const same = groups.every((g) => g.every((v, i) => v === groups[0][i]));
  return same ? [{ name: "lr", y: groups[0] }] : groups.map((y, g) => ({ name: `lr${g}`, y }));
}

/** The loss series a run plots: its parts (box, obj, cls...) when it has them, else the total. */
export function lossSeries(run: RunRecord): { name: string; y: number[] }[] {
  const parts = Object.entries(run.iterations.items);
  return parts.length ? parts.map(([name, y]) => ({ name, y })) : [{ name: "loss", y: run.iterations.loss }];
}

export function metricX(run: RunRecord): number[] {
  // A metric belongs to the end of its epoch: epoch e ends at x = e + 1.
  return run.epochEnds.epoch.map((e) => e + 1);
}

export function trainingFigure(run: RunRecord, opts: { title?: string } = {}): PlotlyFigure {
  const it = run.iterations;
  const metrics = Object.entries(run.epochEnds.metrics);
  const hasMetrics = metrics.length > 0;
  const data: PlotlyTrace[] = [];
  for (const s of lossSeries(run)) {
    const points = downsample(it.x, s.y);
    data.push({ type: "scatter", mode: curveMode(points.y), name: s.name, ...points, xaxis: "x", yaxis: "y" });
  }
  for (const s of lrSeries(run)) {
    const points = downsample(it.x, s.y);
    data.push({
      type: "scatter",
      mode: curveMode(points.y),
      name: s.name,
      ...points,
      xaxis: "x",
      yaxis: "y2",
      line: { dash: "dot", width: 1 },
    });
  }
  for (const [name, y] of metrics) {
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name,
      x: metricX(run),
      y: y.slice(),
      xaxis: hasMetrics ? "x2" : "x",
      yaxis: hasMetrics ? "y3" : "y",
    });
  }
  const lossDomain = hasMetrics ? [0.42, 1] : [0, 1];
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? run.name },
    height: hasMetrics ? 520 : 380,
    margin: { t: 80, r: 60 },
    // Legend in a row between the title and the plot: at the right it covered the lr axis's
    // tick labels whenever they were wider than the gap left for them.
    legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" },
    xaxis: { title: { text: hasMetrics ? "" : "epoch" }, anchor: "y", rangemode: "tozero" },
    yaxis: { title: { text: "loss" }, domain: lossDomain },
    yaxis2: { title: { text: "lr" }, overlaying: "y", side: "right", showgrid: false, exponentformat: "e" },
  };
  if (hasMetrics) {
    layout.xaxis2 = { title: { text: "epoch" }, anchor: "y3", matches: "x" };
    layout.yaxis3 = { title: { text: "metrics" }, domain: [0, 0.3], anchor: "x2" };
  }
  return figure(data, layout);
}
