// The HTML report of `npm run reproduce`: every executed notebook with its outputs, charts
// drawn by plotly.js (embedded once, no CDN), and the summary table at the top.
import { readFileSync } from "node:fs";
import { escapeHtml } from "../display";
import { markdownToHtml } from "./markdown";
import { sourceText, type Output } from "./nbformat";
import type { NotebookRun } from "./run-notebook";
import type { NotebookSummary } from "./summary";

let plotCount = 0;

function outputHtml(o: Output): string {
  if (o.output_type === "stream") return `<pre class="${o.name}">${escapeHtml(String(o.text))}</pre>`;
  if (o.output_type === "error") return `<pre class="error">${escapeHtml(`${o.ename}: ${o.evalue}`)}</pre>`;
  const data = (o.data ?? {}) as Record<string, any>;
  if (data["application/vnd.plotly.v1+json"]) {
    const id = `plot-${++plotCount}`;
    const fig = JSON.stringify(data["application/vnd.plotly.v1+json"]).replace(/<\//g, "<\\/");
    return `<div id="${id}" class="plot"></div><script>(function(){var f=${fig};Plotly.newPlot("${id}",f.data,f.layout,f.config||{});})();</script>`;
  }
  if (data["image/png"]) return `<img src="data:image/png;base64,${data["image/png"]}">`;
  if (data["image/svg+xml"]) return String(data["image/svg+xml"]);
  if (data["text/html"]) return `<div class="html">${data["text/html"]}</div>`;
  if (data["text/plain"] !== undefined) return `<pre>${escapeHtml(String(data["text/plain"]))}</pre>`;
  return "";
}

export function reportHtml(runs: NotebookRun[], summaries: NotebookSummary[]): string {
  const plotly = readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8").replace(/<\/script/gi, "<\\/script");
  const rows = summaries
    .map(
      (s) =>
        `<tr class="${s.ok ? "ok" : "fail"}"><td><a href="#${escapeHtml(s.name)}">${escapeHtml(s.name)}</a></td><td>${escapeHtml(s.reproduced)}</td><td>${escapeHtml(s.fixVerified)}</td><td>${(s.ms / 1000).toFixed(1)} s</td></tr>`,
    )
    .join("");
  const sections = runs
    .map((run, i) => {
      const cells = run.notebook.cells
        .map((c) => {
          if (c.cell_type === "markdown") return `<div class="md">${markdownToHtml(sourceText(c.source))}</div>`;
          if (c.cell_type !== "code") return "";
          const outs = (c.outputs ?? []).map(outputHtml).join("\n");
          return `<div class="cell"><div class="in">In [${c.execution_count ?? " "}]:</div><pre class="code">${escapeHtml(sourceText(c.source))}</pre><div class="out">${outs}</div></div>`;
        })
        .join("\n");
      return `<section id="${escapeHtml(summaries[i].name)}"><h1 class="nb">${escapeHtml(summaries[i].name)}</h1>${cells}</section>`;
    })
    .join("\n");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>tfjs-lab: reproduced failures</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}pre{background:#f7f7f7;padding:.5em;overflow-x:auto}
pre.error{background:#fdd}pre.stderr{background:#ffe}.in{color:#307fc1;font-family:monospace}.cell{margin:1em 0}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}tr.fail{background:#fdd}.plot{height:420px}</style>
<script>${plotly}</script></head><body>
<h1>tfjs-lab: five training failures, reproduced and fixed</h1>
<table><tr><th>notebook</th><th>failure reproduced</th><th>fix verified</th><th>time</th></tr>${rows}</table>
${sections}</body></html>`;
}
