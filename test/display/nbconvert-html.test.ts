// nbconvert's HTML (what nbviewer serves and what people mail around) in Chromium: there is
// no Jupyter server behind the page, so plotly.js cannot be had and every figure must show
// its static image, drawn. Checked for a notebook of every figure kind executed by the
// kernel under nbconvert, and for each committed notebook as it is in the repository.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { KERNEL_ROOT } from "../../src/engine/compiler";
import { figureOfBundle } from "../../src/display";
import {
  colorPixels,
  colouredPixels,
  figureNotebook,
  figureOutputs,
  jupyterPath,
  launchChromium,
  nbconvert,
  readJson,
} from "./figure-viewers";

let browser: Browser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-nbconvert-html-"));
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("figures executed under nbconvert show as drawn images in nbconvert's HTML, and carry no plotly.js", {
  timeout: 300_000,
}, async () => {
  const jp = jupyterPath(path.join(tmp, "jupyter"));
  fs.writeFileSync(path.join(tmp, "figures.ipynb"), figureNotebook());
  nbconvert(
    [
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.kernel_name=tfjs-lab",
      "--ExecutePreprocessor.timeout=120",
      "--output",
      "executed",
      "figures.ipynb",
    ],
    { JUPYTER_PATH: jp },
    tmp,
  );
  const file = path.join(tmp, "executed.ipynb");
  const figures = figureOutputs(readJson(file));
  assert.equal(figures.length, 5, "one figure per cell; the updated one replaced in place");
  for (const o of figures) {
    // nbformat saves text as lists of lines.
    const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v ?? "")).trim();
    const png = text(o.data!["image/png"]),
      html = text(o.data!["text/html"]);
    assert.ok(png.length > 1000 && html.includes(`data:image/png;base64,${png}`), "the HTML shows the same PNG");
  }
  assert.ok(fs.statSync(file).size < 400_000, `the executed notebook is ${fs.statSync(file).size} bytes: no plotly.js in it`);

  nbconvert(["--to", "html", "executed.ipynb"], {}, tmp);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`file://${path.join(tmp, "executed.html")}`);
  const charts = page.locator(".tfjs-lab-plotly");
  assert.equal(await charts.count(), 5, "nbconvert chose each figure's HTML");
  // Each figure's script ran, found no Jupyter server, and left its static image.
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll(".tfjs-lab-plotly")).every((d) => d.hasAttribute("data-static-reason")),
    undefined,
    { timeout: 15_000 },
  );
  for (let i = 0; i < 5; i++) {
    const chart = charts.nth(i);
    assert.match(String(await chart.getAttribute("data-static-reason")), /no Jupyter server behind this page/);
    const img = await chart
      .locator("img.tfjs-lab-static")
      .evaluate((el: HTMLImageElement) => ({ complete: el.complete, w: el.naturalWidth, h: el.naturalHeight }));
    assert.deepEqual(img, { complete: true, w: 720, h: 420 }, `figure ${i}'s image decoded`);
    const drawn = await colorPixels(chart);
    assert.ok(drawn > 300, `figure ${i}: ${drawn} pixels of its trace colour on screen`);
  }
  await page.close();
});

// TFJS_LAB_NOTEBOOKS_DIR: check freshly executed copies instead (before committing them).
const NOTEBOOKS = process.env.TFJS_LAB_NOTEBOOKS_DIR ?? path.join(KERNEL_ROOT, "notebooks");
const COMMITTED = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

for (const name of COMMITTED) {
  test(`nbconvert --to html of the committed ${name} draws every figure`, { timeout: 120_000 }, async () => {
    const nb = readJson(path.join(NOTEBOOKS, name));
    const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []) as { data?: Record<string, unknown> }[];
    const out = path.join(tmp, "committed");
    nbconvert(["--to", "html", "--output-dir", out, path.join(NOTEBOOKS, name)]);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`file://${path.join(out, name.replace(/\.ipynb$/, ".html"))}`);
    // nbconvert renders each output into one output area, in order.
    const areas = page.locator(".jp-OutputArea-output");
    assert.equal(await areas.count(), outputs.length, "one rendered output per output in the file");
    let figures = 0;
    for (const [i, o] of outputs.entries()) {
      if (!o.data || !figureOfBundle(o.data)) continue;
      figures++;
      const drawn = await colouredPixels(areas.nth(i));
      // Figures saved before the static PNG carried only SVG, whose elements nbconvert 6.5 strips.
      const stale =
        !o.data["text/html"] && !o.data["image/png"] ? " (saved without HTML or PNG: re-execute the notebooks with npm run notebooks)" : "";
      assert.ok(drawn > 300, `output ${i} (a figure) shows ${drawn} coloured pixels${stale}`);
    }
    assert.equal(figures, figureOutputs(nb).length);
    await page.close();
  });
}
