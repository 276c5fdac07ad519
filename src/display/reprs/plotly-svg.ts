// A static SVG of a plotly figure's line, scatter and bar traces, for viewers that run no
// scripts (GitHub, nbviewer without JS). It is a faithful preview, not a full plotly renderer:
// other trace types are listed in the legend as "(not drawn)".
import type { PlotlyFigureSpec, PlotlyTrace } from "./plotly";

const W = 640, H = 360, M = { l: 60, r: 150, t: 36, b: 44 };
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
function num(v: unknown, i: number): number {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : i;
}
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}
function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(4));
}

function points(t: PlotlyTrace): [number, number][] {
  const y = t.y ? Array.from(t.y as ArrayLike<number>) : [];
  const x = t.x ? Array.from(t.x as ArrayLike<unknown>) : y.map((_, i) => i);
  return y.map((v, i) => [num(x[i], i), Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v));
}

export function figureSvg(f: PlotlyFigureSpec): string {
  const drawable = (t: PlotlyTrace) => !t.type || t.type === "scatter" || t.type === "scattergl" || t.type === "bar";
  const all = f.data.filter(drawable).flatMap(points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, Infinity), x1 = Math.max(...xs, -Infinity);
  let y0 = Math.min(...ys, Infinity), y1 = Math.max(...ys, -Infinity);
  if (f.data.some((t) => t.type === "bar")) y0 = Math.min(0, y0);
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const pw = W - M.l - M.r, ph = H - M.t - M.b;
  const sx = (v: number) => M.l + (x1 > x0 ? ((v - x0) / (x1 - x0)) * pw : pw / 2);
  const sy = (v: number) => M.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  const title = typeof f.layout?.title === "string" ? f.layout.title : f.layout?.title?.text;
  if (title) parts.push(`<text x="${M.l}" y="20" font-size="14">${esc(String(title))}</text>`);
  if (all.length) {
    for (const v of ticks(y0, y1)) parts.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${M.l - 6}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
    for (const v of ticks(x0, x1)) parts.push(`<text x="${sx(v)}" y="${M.t + ph + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  const xt = f.layout?.xaxis?.title, yt = f.layout?.yaxis?.title;
  const xTitle = typeof xt === "string" ? xt : xt?.text, yTitle = typeof yt === "string" ? yt : yt?.text;
  if (xTitle) parts.push(`<text x="${M.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(String(xTitle))}</text>`);
  if (yTitle) parts.push(`<text transform="translate(14 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(String(yTitle))}</text>`);
  f.data.forEach((t, i) => {
    const color = (t as any).line?.color ?? (t as any).marker?.color ?? COLORS[i % COLORS.length];
    const pts = drawable(t) ? points(t) : [];
    if (t.type === "bar") {
      const bw = Math.max(2, pw / Math.max(1, pts.length) * 0.8);
      for (const [x, y] of pts) parts.push(`<rect x="${sx(x) - bw / 2}" y="${Math.min(sy(y), sy(0))}" width="${bw}" height="${Math.abs(sy(0) - sy(y))}" fill="${color}"/>`);
    } else if (pts.length) {
      const mode = t.mode ?? (pts.length > 20 ? "lines" : "lines+markers");
      if (mode.includes("lines")) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")}"/>`);
      if (mode.includes("markers")) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
    const label = `${t.name ?? `trace ${i}`}${drawable(t) ? "" : " (not drawn)"}`;
    parts.push(`<rect x="${W - M.r + 10}" y="${M.t + i * 16}" width="10" height="10" fill="${color}"/><text x="${W - M.r + 24}" y="${M.t + i * 16 + 9}">${esc(label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
