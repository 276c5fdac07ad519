// The static rendering of a plotly figure as SVG, the source of its image/png (plotly-png.ts):
// what viewers that run no scripts show (untrusted notebooks, GitHub, nbviewer, nbconvert
// HTML). It lays out what plotly.js would: subplots from axis domains or layout.grid, two y
// axes (overlaying), log and category axes, bar modes, legend, colour bars; axes are in
// plotly-axes.ts and the traces in plotly-traces.ts. It is a faithful preview, not plotly.js:
// annotations, shapes, hover text and trace types other than scatter, bar, histogram and
// heatmap are not drawn (the latter are named in the legend as "(not drawn)").
import type { PlotlyFigureSpec } from "./plotly";
import { axisId, axisTicks, detectKind, formatNumber, layoutKey, newAxis, px, settleRange, extend, type Axis } from "./plotly-axes";
import { buildSeries, colorbar, COLORWAY, drawBars, drawHeatmap, drawScatter, rawValues, traceKind, type Series } from "./plotly-traces";

const FONT_PX = 7.1; // average width of an 11 px sans-serif character, for laying out labels

// Control characters are not allowed in XML at all: librsvg would refuse the whole image.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML forbids
const NOT_IN_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function esc(s: string): string {
  return s.replace(NOT_IN_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
const titleText = (t: unknown): string =>
  typeof t === "string" ? t : t && typeof (t as { text?: unknown }).text === "string" ? (t as { text: string }).text : "";
const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** The static image's size: the layout's, else plotly's default width and our display height. */
export function figureSize(f: PlotlyFigureSpec): { width: number; height: number } {
  const clamp = (v: unknown, d: number) =>
    Number.isFinite(Number(v)) && Number(v) > 0 ? Math.max(160, Math.min(2400, Math.round(Number(v)))) : d;
  return { width: clamp(f.layout?.width, 720), height: clamp(f.layout?.height, 420) };
}

/** layout.grid without explicit domains: where subplot N's axes go. */
function gridDomains(layout: Record<string, any>, axes: Map<string, Axis>): void {
  const g = layout.grid;
  if (!g || !(Number(g.rows) >= 1) || !(Number(g.columns) >= 1)) return;
  const rows = Number(g.rows),
    cols = Number(g.columns);
  const xgap = Number.isFinite(Number(g.xgap)) ? Number(g.xgap) : 0.1,
    ygap = Number.isFinite(Number(g.ygap)) ? Number(g.ygap) : 0.2;
  // plotly's gaps are fractions of one cell: n cells of width w and n - 1 gaps of gap * w.
  const slot = (i: number, n: number, gap: number): [number, number] => {
    const w = 1 / (n + (n - 1) * gap);
    return [i * w * (1 + gap), i * w * (1 + gap) + w];
  };
  const topDown = g.roworder !== "bottom to top";
  for (const a of axes.values()) {
    if (Array.isArray(a.spec.domain) || a.overlaying) continue;
    const k = Number(a.id.slice(1) || 1) - 1;
    if (g.pattern === "coupled") {
      if (a.letter === "x" && k < cols) a.domain = slot(k, cols, xgap);
      if (a.letter === "y" && k < rows) {
        const r = topDown ? rows - 1 - k : k;
        a.domain = slot(r, rows, ygap);
      }
    } else if (k < rows * cols) {
      const r = Math.floor(k / cols),
        c = k % cols;
      if (a.letter === "x") a.domain = slot(c, cols, xgap);
      else a.domain = slot(topDown ? rows - 1 - r : r, rows, ygap);
    }
  }
}

/** Widths, offsets and stacking of bars that share a subplot, as layout.barmode says. */
function arrangeBars(series: Series[], layout: Record<string, any>, axes: Map<string, Axis>): void {
  const groups = new Map<string, Series[]>();
  for (const s of series)
    if (s.kind === "bar") {
      const key = `${s.xa}|${s.ya}|${s.horizontal}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
  const mode = String(layout.barmode ?? "group");
  for (const group of groups.values()) {
    const posAxis = axes.get(group[0].horizontal ? group[0].ya : group[0].xa)!;
    const valAxis = axes.get(group[0].horizontal ? group[0].xa : group[0].ya)!;
    // The slot of one position: the smallest distance between two positions (plotly's rule).
    const positions = new Set<number>();
    for (const s of group) if (!s.histogram) for (const p of s.pos) if (Number.isFinite(p)) positions.add(p);
    const sorted = [...positions].sort((a, b) => a - b);
    let slot = Infinity;
    for (let i = 1; i < sorted.length; i++) slot = Math.min(slot, sorted[i] - sorted[i - 1]);
    if (!Number.isFinite(slot) || slot <= 0) slot = 1;
    const bargap = Number.isFinite(Number(layout.bargap)) ? Number(layout.bargap) : group.every((s) => s.histogram) ? 0 : 0.2;
    const grouped = mode === "group" && group.length > 1;
    group.forEach((s, j) => {
      const full = (s.histogram ? s.barWidth : slot) * (1 - bargap);
      const own = Number((s.trace as Record<string, any>).width);
      s.barWidth = Number.isFinite(own) && own > 0 ? own : grouped ? full / group.length : full;
      s.barOffset = grouped ? (j - (group.length - 1) / 2) * s.barWidth : 0;
    });
    if (mode === "stack" || mode === "relative") {
      const up = new Map<number, number>(),
        down = new Map<number, number>();
      for (const s of group) {
        s.base = new Float64Array(s.pos.length);
        for (let i = 0; i < s.pos.length; i++) {
          const v = s.val[i];
          if (!Number.isFinite(v)) {
            s.base[i] = NaN;
            continue;
          }
          const m = v >= 0 ? up : down,
            b = m.get(s.pos[i]) ?? 0;
          s.base[i] = b;
          s.val[i] = b + v;
          m.set(s.pos[i], b + v);
        }
      }
    }
    for (const s of group) {
      for (let i = 0; i < s.pos.length; i++) {
        extend(valAxis, s.val[i]);
        if (Number.isFinite(s.pos[i])) {
          extend(posAxis, s.pos[i] + s.barOffset - s.barWidth / 2);
          extend(posAxis, s.pos[i] + s.barOffset + s.barWidth / 2);
        }
      }
    }
  }
}

export function figureSvg(f: PlotlyFigureSpec): string {
  const layout = (f.layout ?? {}) as Record<string, any>;
  const traces = Array.isArray(f.data) ? f.data.filter((t) => t && typeof t === "object") : [];
  const { width: W, height: H } = figureSize(f);
  const colorway =
    Array.isArray(layout.colorway) && layout.colorway.length
      ? layout.colorway.map((c: unknown) => (/^[#\w(),.\s%-]{1,64}$/.test(String(c)) ? String(c) : "#444"))
      : COLORWAY;

  // Axes: every one a trace names, with what it overlays, typed from the values on it.
  const ids = new Set<string>(["x", "y"]);
  const refs = traces.map((t) => ({ x: axisId(t.xaxis, "x"), y: axisId(t.yaxis, "y") }));
  for (const r of refs) {
    ids.add(r.x);
    ids.add(r.y);
  }
  const axes = new Map<string, Axis>();
  for (const id of ids) {
    const values = function* () {
      for (let i = 0; i < traces.length; i++) {
        if (refs[i][id[0] as "x" | "y"] !== id || traceKind(traces[i]) === "undrawn") continue;
        const v = rawValues(traces[i])[id[0] as "x" | "y"];
        for (let k = 0; k < v.length; k++) yield v[k];
      }
    };
    const spec = (layout[layoutKey(id)] ?? {}) as Record<string, any>;
    axes.set(id, newAxis(id, layout, detectKind(spec, values())));
  }
  gridDomains(layout, axes);
  for (const a of axes.values()) {
    const base = a.overlaying ? axes.get(a.overlaying) : undefined;
    if (base) {
      a.domain = base.domain;
      a.anchor = base.anchor;
    }
  }

  const series = traces.map((t, i) => buildSeries(t, i, axes.get(refs[i].x)!, axes.get(refs[i].y)!, colorway));
  arrangeBars(series, layout, axes);
  // Matching axes (`matches: "x"`) share one range.
  for (const a of axes.values()) {
    const m = typeof a.spec.matches === "string" ? axes.get(axisId(a.spec.matches, a.letter)) : undefined;
    if (m) {
      extend(m, a.lo);
      extend(m, a.hi);
    }
  }
  for (const a of axes.values()) {
    const on = series.filter((s) => (a.letter === "x" ? s.xa : s.ya) === a.id);
    const barValues = on.some((s) => s.kind === "bar" && (a.letter === "x") === s.horizontal);
    // Room for markers at the ends, as plotly pads for marker size; lines end at the axis ends.
    const markers = on.some((s) => s.kind === "scatter" && s.mode.includes("markers"));
    const pad = a.letter === "y" ? (on.some((s) => s.kind === "heatmap") ? 0 : 0.05) : barValues ? 0.05 : markers ? 0.03 : 0;
    settleRange(a, pad, barValues);
  }
  for (const a of axes.values()) {
    const m = typeof a.spec.matches === "string" ? axes.get(axisId(a.spec.matches, a.letter)) : undefined;
    if (m) {
      a.lo = m.lo;
      a.hi = m.hi;
    }
  }

  // Margins from what goes around the plot: title, tick labels, axis titles, legend, colour bars.
  const legendItems = series.filter((s) => s.kind === "undrawn" || s.showlegend);
  const showLegend =
    layout.showlegend === false ? false : layout.showlegend === true || legendItems.length > 1 || series.some((s) => s.kind === "undrawn");
  const horizontalLegend = layout.legend?.orientation === "h";
  const label = (s: Series) => `${s.name}${s.kind === "undrawn" ? ` (${s.trace.type}: not drawn)` : ""}`;
  const legendWidth =
    showLegend && !horizontalLegend ? Math.min(230, 44 + legendItems.reduce((m, s) => Math.max(m, label(s).length), 0) * FONT_PX) : 0;
  const colorbars = series.filter((s) => s.kind === "heatmap" && s.heat!.showscale && Number.isFinite(s.heat!.zmin));
  const title = titleText(layout.title);
  const axisList = [...axes.values()];
  const used = (a: Axis) => series.some((s) => s.xa === a.id || s.ya === a.id) || a.id === "x" || a.id === "y";
  const yAxes = axisList.filter((a) => a.letter === "y" && used(a)),
    xAxes = axisList.filter((a) => a.letter === "x" && used(a));

  let legendRows = 0;
  const legendRowOf: number[] = [],
    legendXOf: number[] = [];
  const layoutPass = (L: number, R: number, T: number, B: number) => {
    for (const a of axisList) {
      if (a.letter === "x") {
        a.p0 = L + a.domain[0] * (R - L);
        a.p1 = L + a.domain[1] * (R - L);
      } else {
        a.p0 = B - a.domain[0] * (B - T);
        a.p1 = B - a.domain[1] * (B - T);
      }
    }
  };
  const tickWidth = (a: Axis) => axisTicks(a, 50).reduce((m, t) => Math.max(m, t.label.length), 1) * FONT_PX;
  const sideWidth = (side: "left" | "right") =>
    yAxes.filter((a) => a.side === side).reduce((m, a) => Math.max(m, tickWidth(a) + 10 + (titleText(a.spec.title) ? 18 : 0)), 0);
  let T = title ? 40 : 14,
    B = H - 30 - (xAxes.some((a) => titleText(a.spec.title)) ? 16 : 0);
  let L = 60,
    R = W - 20 - legendWidth - (colorbars.length ? 70 : 0);
  layoutPass(L, R, T, B);
  L = Math.max(30, sideWidth("left") + 8);
  R = W - 24 - legendWidth - (colorbars.length ? 70 : 0) - sideWidth("right");
  if (showLegend && horizontalLegend) {
    let x = L,
      row = 0;
    for (const s of legendItems) {
      const w = 40 + label(s).length * FONT_PX;
      if (x + w > W - 10 && x > L) {
        row++;
        x = L;
      }
      legendRowOf.push(row);
      legendXOf.push(x);
      x += w;
    }
    legendRows = row + 1;
    T += legendRows * 18;
  }
  if (R - L < 80) R = L + 80;
  layoutPass(L, R, T, B);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11" fill="#444">`,
    `<rect width="${W}" height="${H}" fill="${esc(String(layout.paper_bgcolor ?? "white"))}"/>`,
  ];
  if (title) out.push(`<text x="${L}" y="24" font-size="16">${esc(title)}</text>`);

  // One rectangle per subplot (a pair of axes), with its grid and its traces clipped to it.
  const subplots = new Map<string, { xa: Axis; ya: Axis }>();
  for (const s of series)
    if (s.kind !== "undrawn") {
      const xa = axes.get(s.xa)!,
        ya = axes.get(s.ya)!;
      const base = ya.overlaying ? (axes.get(ya.overlaying) ?? ya) : ya;
      subplots.set(`${xa.id}${base.id}`, { xa, ya: base });
    }
  if (!subplots.size) subplots.set("xy", { xa: axes.get("x")!, ya: axes.get("y")! });
  const rectOf = (xa: Axis, ya: Axis) => ({
    x: Math.min(xa.p0, xa.p1),
    y: Math.min(ya.p0, ya.p1),
    w: Math.abs(xa.p1 - xa.p0),
    h: Math.abs(ya.p1 - ya.p0),
  });
  let clip = 0;
  const clipIds = new Map<string, string>();
  for (const [key, { xa, ya }] of subplots) {
    const r = rectOf(xa, ya);
    const id = `clip${clip++}`;
    clipIds.set(key, id);
    out.push(`<defs><clipPath id="${id}"><rect x="${f1(r.x)}" y="${f1(r.y)}" width="${f1(r.w)}" height="${f1(r.h)}"/></clipPath></defs>`);
    if (layout.plot_bgcolor)
      out.push(`<rect x="${f1(r.x)}" y="${f1(r.y)}" width="${f1(r.w)}" height="${f1(r.h)}" fill="${esc(String(layout.plot_bgcolor))}"/>`);
    if (ya.spec.showgrid !== false)
      for (const t of axisTicks(ya, 50))
        out.push(`<line x1="${f1(r.x)}" x2="${f1(r.x + r.w)}" y1="${f1(px(ya, t.u))}" y2="${f1(px(ya, t.u))}" stroke="#eee"/>`);
    if (xa.spec.showgrid !== false)
      for (const t of axisTicks(xa, 90))
        out.push(`<line y1="${f1(r.y)}" y2="${f1(r.y + r.h)}" x1="${f1(px(xa, t.u))}" x2="${f1(px(xa, t.u))}" stroke="#eee"/>`);
    for (const [a, horizontal] of [
      [ya, true],
      [xa, false],
    ] as const) {
      if (a.kind === "linear" && a.lo < 0 && a.hi > 0 && a.spec.zeroline !== false) {
        const p = f1(px(a, 0));
        out.push(
          horizontal
            ? `<line x1="${f1(r.x)}" x2="${f1(r.x + r.w)}" y1="${p}" y2="${p}" stroke="#999"/>`
            : `<line y1="${f1(r.y)}" y2="${f1(r.y + r.h)}" x1="${p}" x2="${p}" stroke="#999"/>`,
        );
      }
    }
  }
  // Heatmaps under bars under lines and markers, as plotly.js layers them.
  for (const kind of ["heatmap", "bar", "scatter"] as const) {
    for (const s of series) {
      if (s.kind !== kind) continue;
      const xa = axes.get(s.xa)!,
        ya = axes.get(s.ya)!;
      const base = ya.overlaying ? (axes.get(ya.overlaying) ?? ya) : ya;
      const body: string[] = [];
      const r = rectOf(xa, base);
      if (kind === "heatmap") drawHeatmap(s, xa, ya, body, r);
      else if (kind === "bar") drawBars(s, xa, ya, body);
      else drawScatter(s, xa, ya, body, r);
      out.push(`<g clip-path="url(#${clipIds.get(`${xa.id}${base.id}`)})">${body.join("")}</g>`);
    }
  }

  // Axes: tick labels and titles on the side each is anchored to.
  for (const a of [...xAxes, ...yAxes]) {
    const cross = axes.get(a.anchor) ?? axes.get(a.letter === "x" ? "y" : "x")!;
    const ticks = axisTicks(a, a.letter === "x" ? 90 : 50);
    const t = titleText(a.spec.title);
    if (a.letter === "x") {
      const y = a.side === "top" ? Math.min(cross.p0, cross.p1) : Math.max(cross.p0, cross.p1);
      const dy = a.side === "top" ? -6 : 14;
      out.push(`<line x1="${f1(a.p0)}" x2="${f1(a.p1)}" y1="${f1(y)}" y2="${f1(y)}" stroke="#444"/>`);
      for (const k of ticks) out.push(`<text x="${f1(px(a, k.u))}" y="${f1(y + dy)}" text-anchor="middle">${esc(k.label)}</text>`);
      if (t)
        out.push(
          `<text x="${f1((a.p0 + a.p1) / 2)}" y="${f1(a.side === "top" ? y - 22 : y + 30)}" text-anchor="middle" font-size="12">${esc(t)}</text>`,
        );
    } else {
      const right = a.side === "right";
      const x = right ? Math.max(cross.p0, cross.p1) : Math.min(cross.p0, cross.p1);
      out.push(`<line y1="${f1(a.p0)}" y2="${f1(a.p1)}" x1="${f1(x)}" x2="${f1(x)}" stroke="#444"/>`);
      for (const k of ticks)
        out.push(
          `<text x="${f1(right ? x + 6 : x - 6)}" y="${f1(px(a, k.u) + 4)}" text-anchor="${right ? "start" : "end"}">${esc(k.label)}</text>`,
        );
      if (t) {
        const tx = right ? x + tickWidth(a) + 20 : x - tickWidth(a) - 14;
        out.push(
          `<text transform="translate(${f1(tx)} ${f1((a.p0 + a.p1) / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${esc(t)}</text>`,
        );
      }
    }
  }

  // Colour bars, then the legend.
  colorbars.forEach((s, i) => {
    const ya = axes.get(s.ya)!;
    const x = W - 14 - legendWidth - 70 + 10 + i * 4;
    out.push(
      colorbar(s, x, Math.min(ya.p0, ya.p1), Math.abs(ya.p0 - ya.p1), (v) =>
        esc(formatNumber(v, Math.abs(s.heat!.zmax - s.heat!.zmin) / 100 || 1)),
      ),
    );
  });
  if (showLegend) {
    legendItems.forEach((s, i) => {
      const x = horizontalLegend ? legendXOf[i] : W - legendWidth;
      const y = horizontalLegend ? (title ? 36 : 10) + legendRowOf[i] * 18 : T + i * 18;
      const lines = s.kind === "scatter" && s.mode.includes("lines");
      if (s.kind === "undrawn")
        out.push(`<rect x="${x}" y="${y + 2}" width="24" height="8" fill="none" stroke="#999" stroke-dasharray="2,2"/>`);
      else if (lines) out.push(`<line x1="${x}" x2="${x + 24}" y1="${y + 6}" y2="${y + 6}" stroke="${s.color}" stroke-width="2"/>`);
      else if (s.kind === "scatter") out.push(`<circle cx="${x + 12}" cy="${y + 6}" r="4" fill="${s.color}"/>`);
      else out.push(`<rect x="${x + 6}" y="${y}" width="12" height="12" fill="${s.color}"/>`);
      const name = label(s);
      out.push(`<text x="${x + 30}" y="${y + 10}">${esc(name.length > 30 && !horizontalLegend ? `${name.slice(0, 29)}…` : name)}</text>`);
    });
  }
  out.push("</svg>");
  return out.join("");
}
