// Traces of the static figure renderer: each plotly trace (scatter/scattergl lines and
// markers, bar, histogram, heatmap) resolved to axis units, then drawn as SVG. Large data is
// decimated to what the pixels can show (min/max per pixel column for lines, rasters for
// dense markers and heatmaps); nothing here spreads an array into a call, so 10^6 points are
// fine. Other trace types are named in the legend as "(not drawn)".
import type { PlotlyTrace } from "./plotly";
import { extend, px, toUnit, unitAt, type Axis } from "./plotly-axes";
import { Raster } from "./raster-png";

export const COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

type Rgb = [number, number, number];
const NAMED: Record<string, Rgb> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  red: [255, 0, 0],
  green: [0, 128, 0],
  blue: [0, 0, 255],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  orange: [255, 165, 0],
  purple: [128, 0, 128],
  yellow: [255, 255, 0],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
  brown: [165, 42, 42],
  pink: [255, 192, 203],
  navy: [0, 0, 128],
  teal: [0, 128, 128],
  lightgray: [211, 211, 211],
  darkgray: [169, 169, 169],
};

/** "#rgb", "#rrggbb", "rgb(...)", "rgba(...)" or a common name, as RGB. */
export function parseColor(s: string): Rgb {
  const c = s.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(c);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  m = /^#([0-9a-f]{6})/.exec(c);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])].map((v) => Math.max(0, Math.min(255, Math.round(v)))) as Rgb;
  return NAMED[c] ?? [128, 128, 128];
}
const hex = ([r, g, b]: Rgb) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;

type Scale = [number, Rgb][];
const SCALES: Record<string, string[]> = {
  // plotly.js's default heatmap colourscale is RdBu.
  rdbu: ["rgb(5,10,172)", "rgb(106,137,247)", "rgb(190,190,190)", "rgb(220,170,132)", "rgb(230,145,90)", "rgb(178,10,28)"],
  viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
  greys: ["#000000", "#ffffff"],
  blues: ["rgb(5,10,172)", "rgb(220,220,220)"],
  reds: ["rgb(220,220,220)", "rgb(178,10,28)"],
  hot: ["rgb(0,0,0)", "rgb(230,0,0)", "rgb(255,210,0)", "rgb(255,255,255)"],
  jet: ["rgb(0,0,131)", "rgb(0,60,170)", "rgb(5,255,255)", "rgb(255,255,0)", "rgb(250,0,0)", "rgb(128,0,0)"],
};
const RDBU_STOPS = [0, 0.35, 0.5, 0.6, 0.7, 1];

export function colorscale(spec: unknown): Scale {
  if (Array.isArray(spec) && spec.length >= 2 && spec.every((s) => Array.isArray(s) && s.length === 2)) {
    return spec.map(([t, c]) => [Number(t), parseColor(String(c))] as [number, Rgb]);
  }
  const name = typeof spec === "string" ? spec.toLowerCase() : "rdbu";
  const colors = SCALES[name] ?? SCALES.rdbu;
  return colors.map((c, i) => [colors === SCALES.rdbu ? RDBU_STOPS[i] : i / (colors.length - 1), parseColor(c)] as [number, Rgb]);
}
export function scaleColor(scale: Scale, t: number): Rgb {
  const v = Math.max(0, Math.min(1, t));
  for (let i = 1; i < scale.length; i++) {
    if (v <= scale[i][0] || i === scale.length - 1) {
      const [t0, c0] = scale[i - 1],
        [t1, c1] = scale[i];
      const f = t1 > t0 ? (v - t0) / (t1 - t0) : 0;
      return [0, 1, 2].map((k) => Math.round(c0[k] + (c1[k] - c0[k]) * f)) as Rgb;
    }
  }
  return scale[0][1];
}

export type SeriesKind = "scatter" | "bar" | "heatmap" | "undrawn";

export interface Heat {
  z: ArrayLike<unknown>[];
  xEdges: Float64Array;
  yEdges: Float64Array;
  zmin: number;
  zmax: number;
  scale: Scale;
  showscale: boolean;
}

/** One trace in axis units. For bars, `pos` runs along the category axis and `val` is the tip. */
export interface Series {
  index: number;
  trace: PlotlyTrace;
  kind: SeriesKind;
  name: string;
  color: string;
  showlegend: boolean;
  mode: string;
  xa: string;
  ya: string;
  horizontal: boolean;
  pos: Float64Array;
  val: Float64Array;
  base?: Float64Array;
  barWidth: number;
  barOffset: number;
  histogram: boolean;
  heat?: Heat;
}

const len = (a: unknown) => (a && typeof (a as ArrayLike<unknown>).length === "number" ? (a as ArrayLike<unknown>).length : 0);
const at = (a: unknown, i: number) => (a as ArrayLike<unknown>)[i];

export function traceKind(t: PlotlyTrace): SeriesKind {
  const type = t.type ?? "scatter";
  if (type === "scatter" || type === "scattergl") return "scatter";
  if (type === "bar" || type === "histogram") return "bar";
  if (type === "heatmap" || type === "heatmapgl") return "heatmap";
  return "undrawn";
}

/** The raw values a trace puts on its x and on its y axis (for detecting category axes). */
export function rawValues(t: PlotlyTrace): { x: ArrayLike<unknown>; y: ArrayLike<unknown> } {
  const kind = traceKind(t);
  const empty: unknown[] = [];
  if (kind === "heatmap") return { x: (t.x as ArrayLike<unknown>) ?? empty, y: (t.y as ArrayLike<unknown>) ?? empty };
  if (t.type === "histogram") {
    const horizontal = t.orientation === "h" || (t.x === undefined && t.y !== undefined);
    return horizontal ? { x: empty, y: (t.y as ArrayLike<unknown>) ?? empty } : { x: (t.x as ArrayLike<unknown>) ?? empty, y: empty };
  }
  return { x: (t.x as ArrayLike<unknown>) ?? empty, y: (t.y as ArrayLike<unknown>) ?? empty };
}

function niceBin(span: number, target: number): number {
  const raw = span / target,
    mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? raw;
}

/** Histogram counts (plotly's histnorm options) as bars on the position axis. */
function histogram(t: PlotlyTrace, posAxis: Axis, horizontal: boolean): { pos: Float64Array; val: Float64Array; width: number } {
  const values = (horizontal ? t.y : t.x) as ArrayLike<unknown> | undefined;
  const n = len(values);
  const units = new Float64Array(n);
  let lo = Infinity,
    hi = -Infinity,
    count = 0;
  for (let i = 0; i < n; i++) {
    const u = toUnit(posAxis, at(values, i));
    units[i] = u;
    if (Number.isFinite(u)) {
      count++;
      if (u < lo) lo = u;
      if (u > hi) hi = u;
    }
  }
  const norm = String(t.histnorm ?? "");
  let size: number, start: number, bins: number;
  const xbins = (horizontal ? t.ybins : t.xbins) as { start?: number; end?: number; size?: number } | undefined;
  if (posAxis.kind === "category") {
    size = 1;
    start = -0.5;
    bins = posAxis.categories.size;
  } else if (!Number.isFinite(lo)) {
    size = 1;
    start = 0;
    bins = 0;
  } else {
    const nb = Number(horizontal ? t.nbinsy : t.nbinsx) || Math.max(5, Math.min(60, Math.round(Math.sqrt(count))));
    size = Number(xbins?.size) || (hi > lo ? niceBin(hi - lo, nb) : 1);
    start = Number.isFinite(Number(xbins?.start)) && xbins?.start !== undefined ? Number(xbins.start) : Math.floor(lo / size) * size;
    const end = Number.isFinite(Number(xbins?.end)) && xbins?.end !== undefined ? Number(xbins.end) : hi;
    bins = Math.max(1, Math.min(10_000, Math.floor((end - start) / size) + 1));
  }
  const counts = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const u = units[i];
    if (!Number.isFinite(u)) continue;
    const b = posAxis.kind === "category" ? u : Math.floor((u - start) / size + 1e-9);
    if (b >= 0 && b < bins) counts[b]++;
  }
  const scale =
    norm === "percent"
      ? 100 / (count || 1)
      : norm === "probability"
        ? 1 / (count || 1)
        : norm === "density"
          ? 1 / size
          : norm === "probability density"
            ? 1 / ((count || 1) * size)
            : 1;
  const pos = new Float64Array(bins),
    val = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    pos[b] = posAxis.kind === "category" ? b : start + (b + 0.5) * size;
    val[b] = counts[b] * scale;
  }
  return { pos, val, width: size };
}

function edges(coords: unknown, n: number, axis: Axis): Float64Array {
  const out = new Float64Array(n + 1);
  const m = len(coords);
  if (m === n + 1) {
    for (let i = 0; i <= n; i++) out[i] = toUnit(axis, at(coords, i));
    return out;
  }
  if (m >= n && n > 0) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = toUnit(axis, at(coords, i));
    for (let i = 1; i < n; i++) out[i] = (c[i - 1] + c[i]) / 2;
    out[0] = n > 1 ? c[0] - (c[1] - c[0]) / 2 : c[0] - 0.5;
    out[n] = n > 1 ? c[n - 1] + (c[n - 1] - c[n - 2]) / 2 : c[0] + 0.5;
    return out;
  }
  for (let i = 0; i <= n; i++) out[i] = i - 0.5;
  return out;
}

export function buildSeries(t: PlotlyTrace, index: number, xa: Axis, ya: Axis, colorway: string[]): Series {
  const kind = traceKind(t);
  const tt = t as Record<string, any>;
  // Colours go into SVG attributes: only what CSS colours are made of.
  const safe = (c: unknown) => (typeof c === "string" && /^[#\w(),.\s%-]{1,64}$/.test(c) ? c : undefined);
  const own = safe(tt.marker?.color) ?? safe(tt.line?.color);
  const s: Series = {
    index,
    trace: t,
    kind,
    name: String(t.name ?? `trace ${index}`),
    color: own ?? colorway[index % colorway.length],
    showlegend: tt.showlegend !== false && kind !== "heatmap",
    mode: "",
    xa: xa.id,
    ya: ya.id,
    horizontal: false,
    pos: new Float64Array(0),
    val: new Float64Array(0),
    barWidth: 0,
    barOffset: 0,
    histogram: t.type === "histogram",
  };
  if (kind === "scatter") {
    const n = len(t.y);
    const hasX = len(t.x) > 0;
    s.pos = new Float64Array(n);
    s.val = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s.pos[i] = hasX
        ? toUnit(xa, at(t.x, i))
        : xa.kind === "category"
          ? toUnit(xa, i)
          : xa.kind === "log"
            ? i > 0
              ? Math.log10(i)
              : NaN
            : i;
      s.val[i] = toUnit(ya, at(t.y, i));
      if (Number.isFinite(s.pos[i]) && Number.isFinite(s.val[i])) {
        extend(xa, s.pos[i]);
        extend(ya, s.val[i]);
      }
    }
    s.mode = t.mode ?? (n > 20 ? "lines" : "lines+markers");
  } else if (kind === "bar") {
    s.horizontal = t.orientation === "h" || (t.type === "histogram" && t.x === undefined && t.y !== undefined);
    const posAxis = s.horizontal ? ya : xa,
      valAxis = s.horizontal ? xa : ya;
    if (s.histogram) {
      const h = histogram(t, posAxis, s.horizontal);
      s.pos = h.pos;
      s.val = h.val;
      s.barWidth = h.width;
      if (valAxis.kind === "log") s.val = s.val.map((v) => (v > 0 ? Math.log10(v) : NaN));
    } else {
      const values = (s.horizontal ? t.x : t.y) as ArrayLike<unknown>,
        positions = (s.horizontal ? t.y : t.x) as ArrayLike<unknown> | undefined;
      const n = len(values);
      s.pos = new Float64Array(n);
      s.val = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        s.pos[i] = len(positions) ? toUnit(posAxis, at(positions, i)) : posAxis.kind === "category" ? toUnit(posAxis, i) : i;
        s.val[i] = toUnit(valAxis, at(values, i));
      }
    }
    for (let i = 0; i < s.pos.length; i++) extend(posAxis, s.pos[i]);
  } else if (kind === "heatmap") {
    const rows = Array.from((tt.z ?? []) as ArrayLike<ArrayLike<unknown>>).filter((r) => len(r) > 0);
    let cols = 0,
      zmin = Infinity,
      zmax = -Infinity;
    for (const r of rows) {
      cols = Math.max(cols, len(r));
      for (let j = 0; j < len(r); j++) {
        const v = Number(at(r, j));
        if (at(r, j) !== null && Number.isFinite(v)) {
          if (v < zmin) zmin = v;
          if (v > zmax) zmax = v;
        }
      }
    }
    if (Number.isFinite(Number(tt.zmin))) zmin = Number(tt.zmin);
    if (Number.isFinite(Number(tt.zmax))) zmax = Number(tt.zmax);
    const xEdges = edges(t.x, cols, xa),
      yEdges = edges(t.y, rows.length, ya);
    for (const e of xEdges) extend(xa, e);
    for (const e of yEdges) extend(ya, e);
    s.heat = { z: rows, xEdges, yEdges, zmin, zmax, scale: colorscale(tt.colorscale), showscale: tt.showscale !== false };
    if (tt.reversescale) s.heat.scale = s.heat.scale.map(([t0, c]) => [1 - t0, c] as [number, Rgb]).reverse();
  }
  return s;
}

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** A polyline path in pixels; gaps (NaN) break it; dense monotonic data keeps min/max per column. */
export function linePath(s: Series, xa: Axis, ya: Axis): string {
  const n = s.pos.length;
  const parts: string[] = [];
  let pen = false;
  const emit = (x: number, y: number) => {
    parts.push(`${pen ? "L" : "M"}${f1(x)} ${f1(y)}`);
    pen = true;
  };
  let monotonic = true;
  for (let i = 1, prev = -Infinity; i < n; i++) {
    const u = s.pos[i];
    if (Number.isFinite(u)) {
      if (u < prev) {
        monotonic = false;
        break;
      }
      prev = u;
    }
  }
  const width = Math.abs(xa.p1 - xa.p0);
  if (!monotonic || n <= width * 4 || xa.reversed) {
    let lastX = NaN,
      lastY = NaN;
    for (let i = 0; i < n; i++) {
      const u = s.pos[i],
        v = s.val[i];
      if (!Number.isFinite(u) || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      const x = px(xa, u),
        y = px(ya, v);
      // Consecutive points within a pixel add nothing visible.
      if (n > 20_000 && pen && Math.abs(x - lastX) < 1 && Math.abs(y - lastY) < 1) continue;
      emit(x, y);
      lastX = x;
      lastY = y;
    }
    return parts.join("");
  }
  // Per pixel column: first, lowest, highest, last point, in order (the line's exact envelope).
  let col = NaN,
    first = -1,
    lo = -1,
    hi = -1,
    last = -1;
  const flush = () => {
    if (first < 0) return;
    const idx = [first, lo, hi, last].filter((v, k, a) => a.indexOf(v) === k).sort((a, b) => a - b);
    for (const i of idx) emit(px(xa, s.pos[i]), px(ya, s.val[i]));
  };
  for (let i = 0; i < n; i++) {
    const u = s.pos[i],
      v = s.val[i];
    if (!Number.isFinite(u) || !Number.isFinite(v)) {
      flush();
      first = -1;
      pen = false;
      col = NaN;
      continue;
    }
    const c = Math.floor(px(xa, u));
    if (c !== col) {
      flush();
      col = c;
      first = lo = hi = last = i;
      continue;
    }
    if (v < s.val[lo]) lo = i;
    if (v > s.val[hi]) hi = i;
    last = i;
  }
  flush();
  return parts.join("");
}

const DASH: Record<string, string> = { dot: "2,3", dash: "6,4", longdash: "10,4", dashdot: "6,3,2,3", longdashdot: "10,3,2,3" };

export function drawScatter(s: Series, xa: Axis, ya: Axis, out: string[], rect: { x: number; y: number; w: number; h: number }): void {
  const tt = s.trace as Record<string, any>;
  const opacity = Number.isFinite(Number(tt.opacity)) ? ` opacity="${Number(tt.opacity)}"` : "";
  if (s.mode.includes("lines")) {
    const w = Number(tt.line?.width) || 2;
    const dash = DASH[String(tt.line?.dash)] ? ` stroke-dasharray="${DASH[String(tt.line.dash)]}"` : "";
    const d = linePath(s, xa, ya);
    if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${w}" stroke-linejoin="round"${dash}${opacity}/>`);
  }
  if (!s.mode.includes("markers")) return;
  const r = Math.max(1, (Number(tt.marker?.size) || 6) / 2);
  const colors = Array.isArray(tt.marker?.color) ? (tt.marker.color as unknown[]) : undefined;
  let drawn = 0;
  for (let i = 0; i < s.pos.length; i++) if (Number.isFinite(s.pos[i]) && Number.isFinite(s.val[i])) drawn++;
  if (drawn <= 3000) {
    for (let i = 0; i < s.pos.length; i++) {
      if (!Number.isFinite(s.pos[i]) || !Number.isFinite(s.val[i])) continue;
      const c = colors && typeof colors[i] === "string" && /^[#\w(),.\s%-]{1,64}$/.test(String(colors[i])) ? String(colors[i]) : s.color;
      out.push(`<circle cx="${f1(px(xa, s.pos[i]))}" cy="${f1(px(ya, s.val[i]))}" r="${r}" fill="${c}"${opacity}/>`);
    }
    return;
  }
  // Too many for SVG elements: one raster of the subplot, a square per marker.
  const raster = new Raster(Math.max(1, Math.round(rect.w)), Math.max(1, Math.round(rect.h)));
  const rgb = parseColor(s.color);
  const side = Math.max(1, Math.round(r * 1.6));
  for (let i = 0; i < s.pos.length; i++) {
    if (!Number.isFinite(s.pos[i]) || !Number.isFinite(s.val[i])) continue;
    const x = px(xa, s.pos[i]) - rect.x,
      y = px(ya, s.val[i]) - rect.y;
    const c = colors && typeof colors[i] === "string" ? parseColor(String(colors[i])) : rgb;
    raster.fillRect(x - side / 2, y - side / 2, x + side / 2, y + side / 2, c);
  }
  out.push(
    `<image x="${rect.x}" y="${rect.y}" width="${raster.width}" height="${raster.height}" preserveAspectRatio="none" href="${raster.toDataUri()}"${opacity}/>`,
  );
}

export function drawBars(s: Series, xa: Axis, ya: Axis, out: string[]): void {
  const posAxis = s.horizontal ? ya : xa,
    valAxis = s.horizontal ? xa : ya;
  const zero = valAxis.kind === "log" ? valAxis.lo : 0;
  const pxPerUnit = Math.abs(posAxis.p1 - posAxis.p0) / (posAxis.hi - posAxis.lo || 1);
  const thick = Math.max(1, s.barWidth * pxPerUnit);
  const stroke = s.histogram && thick > 4 ? ` stroke="white" stroke-width="0.5"` : "";
  const n = s.pos.length;
  // Bars narrower than a pixel: one bar per pixel column, at the column's extremes.
  if (thick < 1.5 && n > Math.abs(posAxis.p1 - posAxis.p0)) {
    const lo = new Map<number, number>(),
      hi = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const p = s.pos[i] + s.barOffset,
        v = s.val[i],
        b = s.base ? s.base[i] : zero;
      if (!Number.isFinite(p) || !Number.isFinite(v)) continue;
      const c = Math.round(px(posAxis, p));
      const a = Math.min(v, b),
        z = Math.max(v, b);
      lo.set(c, Math.min(lo.get(c) ?? Infinity, a));
      hi.set(c, Math.max(hi.get(c) ?? -Infinity, z));
    }
    const d: string[] = [];
    for (const [c, a] of lo) {
      const p0 = px(valAxis, a),
        p1 = px(valAxis, hi.get(c)!);
      d.push(s.horizontal ? `M${f1(p0)} ${c}H${f1(p1)}` : `M${c} ${f1(p0)}V${f1(p1)}`);
    }
    out.push(`<path d="${d.join("")}" stroke="${s.color}" stroke-width="1" fill="none"/>`);
    return;
  }
  for (let i = 0; i < n; i++) {
    const p = s.pos[i] + s.barOffset,
      v = s.val[i];
    const b = s.base ? s.base[i] : zero;
    if (!Number.isFinite(p) || !Number.isFinite(v) || v === b) continue;
    const c = px(posAxis, p),
      t0 = px(valAxis, b),
      t1 = px(valAxis, v);
    const [a, z] = [Math.min(t0, t1), Math.max(t0, t1)];
    out.push(
      s.horizontal
        ? `<rect x="${f1(a)}" y="${f1(c - thick / 2)}" width="${f1(z - a)}" height="${f1(thick)}" fill="${s.color}"${stroke}/>`
        : `<rect x="${f1(c - thick / 2)}" y="${f1(a)}" width="${f1(thick)}" height="${f1(z - a)}" fill="${s.color}"${stroke}/>`,
    );
  }
}

function findCell(e: Float64Array, u: number): number {
  const asc = e[e.length - 1] >= e[0];
  let lo = 0,
    hi = e.length - 1;
  const inside = asc ? u >= e[0] && u <= e[hi] : u <= e[0] && u >= e[hi];
  if (!inside) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (e[mid] <= u === asc) lo = mid;
    else hi = mid;
  }
  return lo;
}

export function drawHeatmap(s: Series, xa: Axis, ya: Axis, out: string[], rect: { x: number; y: number; w: number; h: number }): void {
  const h = s.heat!;
  const raster = new Raster(Math.max(1, Math.round(rect.w)), Math.max(1, Math.round(rect.h)));
  const span = h.zmax - h.zmin || 1;
  const colOf = new Int32Array(raster.width),
    rowOf = new Int32Array(raster.height);
  for (let x = 0; x < raster.width; x++) colOf[x] = findCell(h.xEdges, unitAt(xa, rect.x + x + 0.5));
  for (let y = 0; y < raster.height; y++) rowOf[y] = findCell(h.yEdges, unitAt(ya, rect.y + y + 0.5));
  for (let y = 0; y < raster.height; y++) {
    const r = rowOf[y];
    if (r < 0 || r >= h.z.length) continue;
    const row = h.z[r];
    for (let x = 0; x < raster.width; x++) {
      const c = colOf[x];
      if (c < 0 || c >= row.length || row[c] === null || row[c] === undefined) continue;
      const v = Number(row[c]);
      if (!Number.isFinite(v)) continue;
      raster.fillRect(x, y, x + 1, y + 1, scaleColor(h.scale, (v - h.zmin) / span));
    }
  }
  out.push(
    `<image x="${rect.x}" y="${rect.y}" width="${raster.width}" height="${raster.height}" preserveAspectRatio="none" href="${raster.toDataUri()}"/>`,
  );
}

/** A vertical colour bar for a heatmap, with its ends labelled. */
export function colorbar(s: Series, x: number, y: number, height: number, label: (v: number) => string): string {
  const h = s.heat!;
  const stops = h.scale.map(([t, c]) => `<stop offset="${t}" stop-color="${hex(c)}"/>`).join("");
  const id = `cb${s.index}`;
  return (
    `<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>` +
    `<rect x="${x}" y="${y}" width="12" height="${height}" fill="url(#${id})" stroke="#444" stroke-width="0.5"/>` +
    `<text x="${x + 16}" y="${y + 9}">${label(h.zmax)}</text><text x="${x + 16}" y="${y + height}">${label(h.zmin)}</text>`
  );
}
