// How the HTML of a figure gets plotly.js (4.8 MB) without carrying it: `tfjs-lab install`
// puts plotly.min.js into the kernelspec folder, and every Jupyter server (Notebook 6 and 7,
// JupyterLab) serves a kernelspec's files at {baseUrl}kernelspecs/{name}/ (where the logos
// come from). A figure's script loads it from there once per page, so a figure never depends
// on another output, a saved notebook stays small, and re-running a cell cannot take the
// library away from the figures after it. Where no Jupyter server is behind the page
// (nbconvert HTML, nbviewer, VS Code's HTML view) the script finds no base URL and the static
// image the HTML holds stays in place.
import * as fs from "node:fs";
import * as path from "node:path";

export const PLOTLY_FILE = "plotly.min.js";

export function plotlyLibraryPath(): string {
  return require.resolve("plotly.js-dist-min/plotly.min.js");
}

/** Puts plotly.js into a kernelspec folder (tfjs-lab install). */
export function copyPlotlyLibrary(kernelspecDir: string): void {
  fs.copyFileSync(plotlyLibraryPath(), path.join(kernelspecDir, PLOTLY_FILE));
}

/** The kernelspec this kernel was installed as (kernel.json's env), whose folder holds plotly.js. */
export function kernelspecName(): string {
  return process.env.TFJS_LAB_KERNELSPEC || "tfjs-lab";
}

/**
 * The script that replaces the static image in `#id` by the interactive chart once plotly.js
 * is there, drawing the figure JSON of `#figureId` (an inert application/json script). ES5 and
 * no globals but one promise per kernelspec: it runs in every front end.
 */
export function drawScript(id: string, figureId: string, height: number, kernelspec = kernelspecName()): string {
  const key = JSON.stringify(`__tfjsLabPlotly:${kernelspec}`);
  return `(function(){var el=document.getElementById(${JSON.stringify(id)});var src=document.getElementById(${JSON.stringify(figureId)});if(!el||!src)return;var fig=JSON.parse(src.textContent);
function base(){var c=document.getElementById("jupyter-config-data");if(c){try{var b=JSON.parse(c.textContent).baseUrl;if(b)return b;}catch(e){}}
var d=document.body&&document.body.getAttribute("data-base-url");return d||null;}
function load(){if(window.Plotly)return Promise.resolve(window.Plotly);if(!window[${key}])window[${key}]=new Promise(function(ok,fail){var b=base();
if(b===null){fail(new Error("no Jupyter server behind this page: the static image stays"));return;}
var s=document.createElement("script");s.src=b.replace(/\\/?$/,"/")+"kernelspecs/"+encodeURIComponent(${JSON.stringify(kernelspec)})+"/${PLOTLY_FILE}";
s.onload=function(){window.Plotly?ok(window.Plotly):fail(new Error("plotly.js did not define Plotly"));};
s.onerror=function(){fail(new Error("could not load "+s.src+" (is the kernel installed with tfjs-lab install?)"));};document.head.appendChild(s);});return window[${key}];}
var gd;load().then(function(P){gd=document.createElement("div");gd.style.height="${height}px";gd.style.width="100%";el.appendChild(gd);
return P.newPlot(gd,fig.data,fig.layout,Object.assign({responsive:true},fig.config));}).then(function(){var img=el.querySelector("img.tfjs-lab-static");if(img)img.parentNode.removeChild(img);})
.catch(function(e){if(gd&&gd.parentNode)gd.parentNode.removeChild(gd);el.setAttribute("data-static-reason",String(e&&e.message||e));});})();`;
}
