// plotly figures: one display_data bundle with the plotly JSON (JupyterLab's plotly
// renderer), HTML that draws it with plotly.js in classic Notebook 6 and nbconvert HTML,
// a static SVG for viewers that run no scripts, and a text summary.
// The plotly.js library (4.8 MB) goes out once per session, inside the first figure's HTML;
// figures after it wait for it to load. No CDN: these machines are offline.
import { readFileSync } from "fs";
import { randomUUID } from "crypto";
import { escapeHtml, registerRepr, type Rich } from "../mime";
import { figureSvg } from "./plotly-svg";

export interface PlotlyTrace { type?: string; x?: ArrayLike<unknown>; y?: ArrayLike<number>; name?: string; mode?: string; [k: string]: unknown }
export interface PlotlyFigureSpec { data: PlotlyTrace[]; layout?: Record<string, any>; config?: Record<string, unknown> }

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
export function figure(dataOrSpec: PlotlyTrace[] | PlotlyFigureSpec, layout: Record<string, any> = {}, config: Record<string, unknown> = {}): PlotlyFigure {
  return Array.isArray(dataOrSpec) ? new PlotlyFigure({ data: dataOrSpec, layout, config }) : new PlotlyFigure(dataOrSpec);
}

function isFigure(v: unknown): v is PlotlyFigureSpec {
  return v instanceof PlotlyFigure || (!!v && typeof v === "object" && (v as any).__plotlyFigure === true);
}

/** Library delivery: whether this session has sent plotly.js, and a way to turn it off (runner). */
export const plotlyDelivery = { sent: false, embedLibrary: true };

let librarySource: string | undefined;
function libraryScript(): string {
  librarySource ??= readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  // Scripts queued by figures rendered before the library arrived run once it is there.
  return `<script type="text/javascript">${librarySource.replace(/<\/script/gi, "<\\/script")}\n;(function(){var q=window.__tfjsLabPlotlyQueue||[];window.__tfjsLabPlotlyQueue=[];q.forEach(function(f){f()});})();</script>`;
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

export function figureHtml(f: PlotlyFigureSpec, withLibrary: boolean): string {
  const id = `tfjs-lab-plot-${randomUUID()}`;
  const json = JSON.stringify(figureJson(f)).replace(/<\//g, "<\\/");
  const height = Number(f.layout?.height) || 420;
  const draw = `(function(){var fig=${json};function draw(){window.Plotly.newPlot(${JSON.stringify(id)},fig.data,fig.layout,Object.assign({responsive:true},fig.config));}` +
    `if(window.Plotly){draw();}else{(window.__tfjsLabPlotlyQueue=window.__tfjsLabPlotlyQueue||[]).push(draw);}})();`;
  return `${withLibrary ? libraryScript() : ""}<div id="${id}" class="tfjs-lab-plotly" style="height:${height}px;width:100%"></div><script type="text/javascript">${draw}</script>`;
}

export function figureText(f: PlotlyFigureSpec): string {
  const title = typeof f.layout?.title === "string" ? f.layout.title : f.layout?.title?.text;
  const traces = f.data.map((t) => `${t.name ?? t.type ?? "trace"} (${t.y ? t.y.length : 0} points)`).join(", ");
  return `<Figure${title ? ` "${title}"` : ""}: ${f.data.length} trace${f.data.length === 1 ? "" : "s"}${traces ? `: ${traces}` : ""}>`;
}

export function figureBundle(f: PlotlyFigureSpec): Rich {
  // TFJS_LAB_PLOTLY_HTML=0 (used when the committed notebooks are executed): no HTML, so
  // saved notebooks stay small and viewers fall back to the SVG or the plotly JSON renderer.
  const html = process.env.TFJS_LAB_PLOTLY_HTML !== "0";
  const withLibrary = html && plotlyDelivery.embedLibrary && !plotlyDelivery.sent;
  if (withLibrary) plotlyDelivery.sent = true;
  return {
    data: {
      "application/vnd.plotly.v1+json": figureJson(f),
      ...(html ? { "text/html": figureHtml(f, withLibrary) } : {}),
      "image/svg+xml": figureSvg(f),
      "text/plain": figureText(f),
    },
    metadata: {},
  };
}

registerRepr((v) => (isFigure(v) ? figureBundle(v) : undefined));
export { escapeHtml };
