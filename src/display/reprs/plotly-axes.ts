// Axes of the static figure renderer, read from a plotly layout: linear, log and category
// axes, their domains (subplots, layout.grid), overlaying axes (two y axes), ranges, ticks and
// the map from axis units to pixels. Values become "axis units" first (log10 on a log axis,
// the category's index on a category axis), as plotly.js does, so ranges read the same.

export type AxisKind = "linear" | "log" | "category";

export interface Axis {
  id: string; // "x", "x2", "y", "y3": what traces name in trace.xaxis
  letter: "x" | "y";
  spec: Record<string, any>; // layout.xaxis2 etc. ({} when the layout has none)
  kind: AxisKind;
  categories: Map<string, number>; // category axes: label -> index, in order of appearance
  lo: number;
  hi: number; // range in axis units
  domain: [number, number]; // fraction of the plot area
  p0: number;
  p1: number; // pixels of lo and hi
  anchor: string; // the crossing axis this one is drawn against
  side: "left" | "right" | "bottom" | "top";
  overlaying?: string;
  reversed: boolean;
}

/** "x" / "x2" from a trace's `xaxis`, or its layout key `xaxis2`. */
export function axisId(ref: unknown, letter: "x" | "y"): string {
  const m = typeof ref === "string" ? /^([xy])(axis)?(\d*)$/.exec(ref) : null;
  return m && m[1] === letter && m[3] !== "1" ? `${letter}${m[3]}` : letter;
}
export const layoutKey = (id: string) => `${id[0]}axis${id.slice(1)}`;

function isNumeric(v: unknown): boolean {
  if (typeof v === "number") return true;
  return typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v));
}

/** plotly's autotype, simplified: a category axis when its values are mostly non-numeric strings. */
export function detectKind(spec: Record<string, any>, values: Iterable<unknown>): AxisKind {
  if (spec.type === "log" || spec.type === "category" || spec.type === "linear") return spec.type;
  let numbers = 0,
    strings = 0;
  for (const v of values) {
    if (typeof v === "string" && v !== "" && !isNumeric(v)) strings++;
    else if (isNumeric(v)) numbers++;
  }
  return strings > numbers ? "category" : "linear";
}

export function newAxis(id: string, layout: Record<string, any>, kind: AxisKind): Axis {
  const spec = (layout[layoutKey(id)] ?? {}) as Record<string, any>;
  const letter = id[0] as "x" | "y";
  const n = id.slice(1);
  const other = letter === "x" ? "y" : "x";
  const anchor = typeof spec.anchor === "string" && spec.anchor !== "free" ? spec.anchor : `${other}${n}`;
  const side = spec.side ?? (letter === "x" ? "bottom" : "left");
  const dom = Array.isArray(spec.domain) && spec.domain.length === 2 ? [Number(spec.domain[0]), Number(spec.domain[1])] : [0, 1];
  return {
    id,
    letter,
    spec,
    kind,
    categories: new Map(),
    lo: Infinity,
    hi: -Infinity,
    domain: [dom[0], dom[1]] as [number, number],
    p0: 0,
    p1: 0,
    anchor,
    side,
    overlaying: typeof spec.overlaying === "string" ? axisId(spec.overlaying, letter) : undefined,
    reversed: spec.autorange === "reversed",
  };
}

/** A value in axis units, NaN where it cannot be drawn (a gap). */
export function toUnit(axis: Axis, v: unknown): number {
  if (v === null || v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v))) return NaN;
  if (axis.kind === "category") {
    const key = String(v);
    let i = axis.categories.get(key);
    if (i === undefined) {
      i = axis.categories.size;
      axis.categories.set(key, i);
    }
    return i;
  }
  const n = typeof v === "number" ? v : Number(v);
  if (axis.kind === "log") return n > 0 ? Math.log10(n) : NaN;
  return Number.isFinite(n) ? n : NaN;
}

export function extend(axis: Axis, u: number): void {
  if (!Number.isFinite(u)) return;
  if (u < axis.lo) axis.lo = u;
  if (u > axis.hi) axis.hi = u;
}

/** Final range: the layout's range if given, else the data's with a little room. */
export function settleRange(axis: Axis, pad: number, includeZero: boolean): void {
  const r = axis.spec.range;
  if (Array.isArray(r) && r.length === 2 && Number.isFinite(Number(r[0])) && Number.isFinite(Number(r[1]))) {
    const a = Number(r[0]),
      b = Number(r[1]);
    axis.lo = Math.min(a, b);
    axis.hi = Math.max(a, b);
    if (a > b) axis.reversed = true;
    return;
  }
  if (axis.kind === "category") {
    const n = Math.max(axis.categories.size, 1);
    axis.lo = Math.min(axis.lo, -0.5);
    axis.hi = Math.max(axis.hi, n - 0.5);
    if (!Number.isFinite(axis.lo)) {
      axis.lo = -0.5;
      axis.hi = n - 0.5;
    }
    return;
  }
  if (!Number.isFinite(axis.lo)) {
    axis.lo = axis.kind === "log" ? 0 : -1;
    axis.hi = axis.kind === "log" ? 1 : 1;
    return;
  }
  if ((includeZero || axis.spec.rangemode === "tozero") && axis.kind === "linear") {
    axis.lo = Math.min(axis.lo, 0);
    axis.hi = Math.max(axis.hi, 0);
  }
  if (axis.lo === axis.hi) {
    axis.lo -= axis.kind === "log" ? 0.5 : Math.abs(axis.lo) * 0.1 || 1;
    axis.hi += axis.kind === "log" ? 0.5 : Math.abs(axis.hi) * 0.1 || 1;
    return;
  }
  const span = axis.hi - axis.lo;
  const zeroLo = axis.lo === 0 && axis.kind === "linear" && (includeZero || axis.spec.rangemode === "tozero");
  if (!zeroLo) axis.lo -= span * pad;
  axis.hi += span * pad;
}

/** Pixel position of a value in axis units. */
export function px(axis: Axis, u: number): number {
  const t = (u - axis.lo) / (axis.hi - axis.lo || 1);
  return axis.reversed ? axis.p1 + (axis.p0 - axis.p1) * t : axis.p0 + (axis.p1 - axis.p0) * t;
}

/** The value in axis units at a pixel position (px's inverse). */
export function unitAt(axis: Axis, p: number): number {
  const t = axis.reversed ? (p - axis.p1) / (axis.p0 - axis.p1 || 1) : (p - axis.p0) / (axis.p1 - axis.p0 || 1);
  return axis.lo + t * (axis.hi - axis.lo);
}

export interface Tick {
  u: number;
  label: string;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count),
    mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? raw;
}

export function formatNumber(v: number, step: number, exponent = false): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (exponent || a >= 1e6 || a < 1e-4) {
    const s = v.toExponential(Math.max(0, Math.min(6, Math.round(Math.log10(a) - Math.log10(step)))));
    return s.replace(/\.?0+e/, "e").replace("e+", "e");
  }
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** Ticks at nice positions, about one per `spacing` pixels. */
export function axisTicks(axis: Axis, spacing: number): Tick[] {
  const lengthPx = Math.abs(axis.p1 - axis.p0);
  const count = Math.max(2, Math.floor(lengthPx / spacing));
  const out: Tick[] = [];
  if (axis.kind === "category") {
    const names = [...axis.categories.keys()];
    const longest = names.reduce((m, s) => Math.max(m, s.length), 1);
    const room =
      axis.letter === "x" ? Math.max(1, Math.floor(lengthPx / Math.max(24, longest * 6.5 + 8))) : Math.max(1, Math.floor(lengthPx / 16));
    const every = Math.max(1, Math.ceil(names.length / room));
    names.forEach((name, i) => {
      if (i % every === 0 && i >= axis.lo && i <= axis.hi) out.push({ u: i, label: name.length > 24 ? `${name.slice(0, 23)}…` : name });
    });
    return out;
  }
  const exponent = axis.spec.exponentformat === "e" || axis.spec.exponentformat === "E";
  if (axis.kind === "log" && axis.hi - axis.lo >= 1) {
    const decades = Math.floor(axis.hi) - Math.ceil(axis.lo) + 1;
    const every = Math.max(1, Math.ceil(decades / count));
    for (let k = Math.ceil(axis.lo); k <= axis.hi + 1e-9; k++) {
      if (k % every === 0) out.push({ u: k, label: formatNumber(10 ** k, 10 ** k, exponent || Math.abs(k) >= 5) });
      if (every === 1 && decades <= count / 3) {
        for (const m of [2, 5]) {
          const u = k + Math.log10(m);
          if (u >= axis.lo && u <= axis.hi) out.push({ u, label: formatNumber(m * 10 ** k, 10 ** k, exponent || Math.abs(k) >= 5) });
        }
      }
    }
    return out.sort((a, b) => a.u - b.u);
  }
  if (axis.kind === "log") {
    // Less than a decade: nice values, placed on the log scale.
    const a = 10 ** axis.lo,
      b = 10 ** axis.hi,
      step = niceStep(b - a, count);
    for (let v = Math.ceil(a / step) * step; v <= b * (1 + 1e-12); v += step)
      out.push({ u: Math.log10(v), label: formatNumber(+v.toPrecision(12), step, exponent) });
    return out;
  }
  const step = niceStep(axis.hi - axis.lo, count);
  const first = Math.ceil(axis.lo / step - 1e-9);
  for (let k = first; k * step <= axis.hi + step * 1e-9 && out.length < 50; k++) {
    const v = +(k * step).toPrecision(12);
    out.push({ u: v, label: formatNumber(v, step, exponent) });
  }
  return out;
}
