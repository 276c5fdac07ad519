// plotly figures: one display_data bundle that some part of survives every viewer.
//   application/vnd.plotly.v1+json  JupyterLab with plotly's renderer, VS Code: interactive.
//   text/html     a <div> holding the static PNG as an <img>, and a script that loads plotly.js
//                 from the Jupyter server (plotly-library.ts) and swaps the image for the
//                 interactive chart: classic Notebook, JupyterLab without plotly's extension,
//                 trusted notebooks reloaded later. Where scripts do not run (an untrusted
//                 notebook: Lab and Notebook sanitise HTML, keeping <img> with data: URIs) or
//                 the library cannot be had (nbconvert HTML, nbviewer), the image stays.
//   image/png     the same static image (plotly-svg.ts drawn by librsvg, plotly-png.ts), for
//                 front ends that take images but not HTML (GitHub, untrusted views that skip
//                 HTML; Lab renders no SVG from untrusted output, so PNG rather than SVG).
//   text/plain    a one-line summary.
// An update (update_display_data) carries the bundle without the plotly JSON: jupyterlab-plotly
// never redraws a graph it has drawn (plotly.py#3053), and Lab reuses a renderer whose MIME type
// is unchanged, so a figure updated in place would stay at its first state. Without the JSON
// Lab switches to the HTML and draws every update; `display(.., {update, final: true})` (the live
// training view's end) sends the full bundle again, the one a saved notebook keeps.
// Mime order: front ends choose by their own rank, not the bundle's key order (nbformat even
// sorts the keys when it saves): Lab and Notebook rank text/html above image/png, nbconvert's
// display_data_priority puts text/html first, so the HTML must show the image by itself.
// Nothing in a bundle carries plotly.js, so saved notebooks stay small and no figure depends
// on an earlier output that re-running a cell would replace.
import { randomUUID } from "node:crypto";
import { escapeHtml, registerRepr, type Rich } from "../mime";
import { drawScript } from "./plotly-library";
import { svgToPng } from "./plotly-png";
import { figureSize, figureSvg } from "./plotly-svg";

export interface PlotlyTrace {
  type?: string;
  x?: ArrayLike<unknown>;
  y?: ArrayLike<number>;
  name?: string;
  mode?: string;
  [k: string]: unknown;
}
export interface PlotlyFigureSpec {
  data: PlotlyTrace[];
  layout?: Record<string, any>;
  config?: Record<string, unknown>;
}

export class PlotlyFigure implements PlotlyFigureSpec {
  readonly __plotlyFigure = true;
  data: PlotlyTrace[];
  layout: Record<string, any>;
  config: Record<string, unknown>;
  constructor(spec: PlotlyFigureSpec) {
    this.data = spec.data;
    this.layout = spec.layout ?? {};
    this.config = spec.config ?? {};
  }
}

/** `figure({data, layout})` or `figure(data, layout)`: a value that displays as a chart. */
export function figure(
  dataOrSpec: PlotlyTrace[] | PlotlyFigureSpec,
  layout: Record<string, any> = {},
  config: Record<string, unknown> = {},
): PlotlyFigure {
  return Array.isArray(dataOrSpec) ? new PlotlyFigure({ data: dataOrSpec, layout, config }) : new PlotlyFigure(dataOrSpec);
}

function isFigure(v: unknown): v is PlotlyFigureSpec {
  return v instanceof PlotlyFigure || (!!v && typeof v === "object" && (v as any).__plotlyFigure === true);
}

function plainArrays(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plainArrays);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainArrays(x)]));
  return v;
}

/** plotly.js 2+ draws only `title: {text}`; accept the plain string users (and plotly.py) write. */
function objectTitles(layout: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...layout };
  const fix = (o: Record<string, any> | undefined) => (o && typeof o.title === "string" ? { ...o, title: { text: o.title } } : o);
  if (typeof out.title === "string") out.title = { text: out.title };
  for (const k of Object.keys(out)) if (/^[xyz]axis\d*$/.test(k)) out[k] = fix(out[k]);
  return out;
}

export function figureJson(f: PlotlyFigureSpec): { data: unknown[]; layout: Record<string, unknown>; config: Record<string, unknown> } {
  return plainArrays({ data: f.data, layout: objectTitles(f.layout ?? {}), config: f.config ?? {} }) as any;
}

export interface StaticImage {
  base64: string;
  width: number;
  height: number;
}

/** The static PNG of a figure, or why there is none (bad data must not lose the output). */
export function figurePng(f: PlotlyFigureSpec): StaticImage | { error: string } {
  try {
    const { width, height } = figureSize(f);
    return { base64: svgToPng(figureSvg(f)).toString("base64"), width, height };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const FIGURE_SCRIPT = /<script type="application\/json" class="tfjs-lab-figure"[^>]*>([^<]*)<\/script>/;

export function figureHtml(json: ReturnType<typeof figureJson>, png: StaticImage | { error: string }, alt: string, height: number): string {
  const id = `tfjs-lab-plot-${randomUUID()}`;
  // "<" never appears raw, so the JSON cannot close its script (or be matched past its end).
  const figure = JSON.stringify(json).replace(/</g, "\\u003c");
  const image =
    "base64" in png
      ? `<img class="tfjs-lab-static" src="data:image/png;base64,${png.base64}" width="${png.width}" height="${png.height}" alt="${escapeHtml(alt)}" style="max-width:100%;height:auto">`
      : `<pre class="tfjs-lab-static">${escapeHtml(`${alt}\n(no static image: ${png.error})`)}</pre>`;
  return (
    `<div id="${id}" class="tfjs-lab-plotly" style="width:100%">${image}</div>` +
    `<script type="application/json" class="tfjs-lab-figure" id="${id}-figure">${figure}</script>` +
    `<script type="text/javascript">${drawScript(id, `${id}-figure`, height)}</script>`
  );
}

/** The figure a bundle shows: its plotly JSON, or (an update carries none) the JSON its HTML holds. */
export function figureOfBundle(data: Record<string, unknown>): ReturnType<typeof figureJson> | undefined {
  const json = data["application/vnd.plotly.v1+json"];
  if (json) return json as ReturnType<typeof figureJson>;
  // A saved notebook may hold the HTML as a list of lines (nbformat's multiline strings).
  const html = Array.isArray(data["text/html"]) ? data["text/html"].join("") : data["text/html"];
  const held = typeof html === "string" ? FIGURE_SCRIPT.exec(html) : null;
  return held ? JSON.parse(held[1]) : undefined;
}

export function figureText(f: PlotlyFigureSpec): string {
  const title = typeof f.layout?.title === "string" ? f.layout.title : f.layout?.title?.text;
  const size = (t: PlotlyTrace) =>
    Math.max(
      ...[t.x, t.y, (t as { z?: unknown }).z].map((a) =>
        a && typeof (a as ArrayLike<unknown>).length === "number" ? (a as ArrayLike<unknown>).length : 0,
      ),
    );
  const traces = f.data.map((t) => `${t.name ?? t.type ?? "trace"} (${size(t)} ${t.type === "heatmap" ? "rows" : "points"})`).join(", ");
  return `<Figure${title ? ` "${title}"` : ""}: ${f.data.length} trace${f.data.length === 1 ? "" : "s"}${traces ? `: ${traces}` : ""}>`;
}

export function figureBundle(f: PlotlyFigureSpec): Rich {
  const json = figureJson(f);
  const text = figureText(f);
  const png = figurePng({ data: json.data as PlotlyTrace[], layout: json.layout });
  const viewable = {
    "text/html": figureHtml(json, png, text, figureSize(f).height),
    ...("base64" in png ? { "image/png": png.base64 } : {}),
    "text/plain": text,
  };
  return {
    data: { "application/vnd.plotly.v1+json": json, ...viewable },
    updateData: viewable,
    metadata: "base64" in png ? { "image/png": { width: png.width, height: png.height } } : {},
  };
}

registerRepr((v) => (isFigure(v) ? figureBundle(v) : undefined));
export { escapeHtml };
