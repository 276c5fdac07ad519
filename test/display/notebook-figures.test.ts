// Figures in Debian's classic Jupyter Notebook (6.4, whose HTML sanitiser is JupyterLab's)
// with headless Chromium, through a notebook's life: run live, a figure cell re-run, saved,
// reloaded (trusted: every figure interactive again, its plotly.js loaded from the
// kernelspec folder), and opened by someone else (untrusted: no script runs, every figure
// shows its static image). Also an untrusted copy of a committed notebook, executed afresh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { KERNEL_ROOT } from "../../src/engine/compiler";
import { startJupyterServer, type JupyterServer } from "../browser/jupyter-server";
import { NotebookPage } from "../browser/notebook-page";
import {
  colorPixels,
  colouredPixels,
  FIGURE_CELLS,
  figureNotebook,
  figureOutputs,
  jupyterPath,
  launchChromium,
  nbconvert,
  readJson,
} from "./figure-viewers";

let server: JupyterServer;
let browser: Browser;
before(async () => {
  server = await startJupyterServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

interface ChartState {
  interactive: boolean;
  image: { w: number; complete: boolean } | null;
  reason: string | null;
}

/** What each figure output shows: plotly's chart, or the static image (and why). */
function charts(nb: NotebookPage): Promise<ChartState[]> {
  return nb.page.evaluate(() =>
    Array.from(document.querySelectorAll(".output_area"))
      .filter((a) => a.querySelector(".tfjs-lab-plotly"))
      .map((area) => {
        const img = area.querySelector(".tfjs-lab-plotly img") as HTMLImageElement | null;
        return {
          interactive: area.querySelector(".js-plotly-plot .main-svg") !== null,
          image: img ? { w: img.naturalWidth, complete: img.complete } : null,
          reason: area.querySelector(".tfjs-lab-plotly")?.getAttribute("data-static-reason") ?? null,
        };
      }),
  );
}

async function waitForCharts(nb: NotebookPage, n: number, interactive: boolean): Promise<ChartState[]> {
  try {
    await nb.page.waitForFunction(
      ({ n, interactive }) => {
        const areas = Array.from(document.querySelectorAll(".output_area")).filter((a) => a.querySelector(".tfjs-lab-plotly"));
        return (
          areas.length === n &&
          areas.every((a) =>
            interactive
              ? a.querySelector(".js-plotly-plot .main-svg")
              : (a.querySelector(".tfjs-lab-plotly img") as HTMLImageElement | null)?.complete,
          )
        );
      },
      { n, interactive },
      { timeout: 30_000, polling: 250 },
    );
  } catch {
    /* the assertions below say what is missing */
  }
  return charts(nb);
}

async function waitIdle(nb: NotebookPage): Promise<void> {
  await nb.page.waitForFunction(
    () => {
      const prompts = Array.from(document.querySelectorAll(".code_cell .input_prompt")).map((p) => p.textContent ?? "");
      return document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null && prompts.every((p) => !p.includes("*"));
    },
    undefined,
    { timeout: 60_000, polling: 250 },
  );
}

test("live, re-run, saved and reloaded: every figure is interactive; opened untrusted: every figure is its static image", {
  timeout: 400_000,
}, async () => {
  fs.writeFileSync(path.join(server.notebookDir, "figures.ipynb"), figureNotebook());
  let nb = await NotebookPage.open(browser, server, "figures.ipynb");
  await nb.runAll(120_000);
  let live = await waitForCharts(nb, FIGURE_CELLS.length, true);
  assert.equal(live.length, FIGURE_CELLS.length);
  live.forEach((c, i) => assert.ok(c.interactive, `live figure ${i} drawn by plotly.js (${JSON.stringify(c)})`));

  // Re-running the first figure cell replaces its output; the figures after it keep working.
  await nb.page.evaluate(() => (window as any).Jupyter.notebook.execute_cells([0]));
  await waitIdle(nb);
  live = await waitForCharts(nb, FIGURE_CELLS.length, true);
  live.forEach((c, i) => assert.ok(c.interactive, `after re-running cell 0, figure ${i} is drawn (${JSON.stringify(c)})`));
  await nb.page.evaluate(() => (window as any).Jupyter.notebook.save_notebook());
  await nb.page.waitForFunction(() => !(window as any).Jupyter.notebook.dirty, undefined, { timeout: 30_000 });
  await nb.close();
  await server.shutdownKernels();

  const saved = readJson(path.join(server.notebookDir, "figures.ipynb"));
  assert.equal(figureOutputs(saved).length, FIGURE_CELLS.length);
  assert.ok(fs.statSync(path.join(server.notebookDir, "figures.ipynb")).size < 400_000, "the saved notebook carries no plotly.js");

  // Reloaded: the server signed it on save, so it is trusted and its scripts run.
  nb = await NotebookPage.open(browser, server, "figures.ipynb");
  const reloaded = await waitForCharts(nb, FIGURE_CELLS.length, true);
  reloaded.forEach((c, i) => assert.ok(c.interactive, `reloaded figure ${i} drawn by plotly.js (${JSON.stringify(c)})`));
  await nb.close();
  await server.shutdownKernels();

  // The same notebook from someone else: its signature does not match, so it is untrusted.
  saved.metadata.sent_by = "a colleague";
  fs.writeFileSync(path.join(server.notebookDir, "from-colleague.ipynb"), JSON.stringify(saved));
  nb = await NotebookPage.open(browser, server, "from-colleague.ipynb");
  assert.equal(await nb.page.evaluate(() => (window as any).Jupyter.notebook.trusted), false, "the copy is untrusted");
  const untrusted = await waitForCharts(nb, FIGURE_CELLS.length, false);
  assert.equal(untrusted.length, FIGURE_CELLS.length, "every figure output shows something");
  for (const [i, c] of untrusted.entries()) {
    assert.ok(!c.interactive && c.image?.complete && c.image.w === 720, `untrusted figure ${i} is its static image (${JSON.stringify(c)})`);
  }
  const areas = nb.page.locator(".output_area .tfjs-lab-plotly");
  for (let i = 0; i < FIGURE_CELLS.length; i++) {
    const drawn = await colorPixels(areas.nth(i));
    assert.ok(drawn > 300, `untrusted figure ${i}: ${drawn} pixels of its trace colour`);
  }
  await nb.close();
  await server.shutdownKernels();
});

// TFJS_LAB_NOTEBOOKS_DIR: open every executed copy there instead of executing 00-tour afresh.
const EXECUTED_DIR = process.env.TFJS_LAB_NOTEBOOKS_DIR;

test("an untrusted copy of a committed notebook, executed afresh, shows the static image of every figure", {
  timeout: 900_000,
}, async () => {
  const dir = path.join(server.notebookDir, "committed");
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(KERNEL_ROOT, "notebooks"), dir, { recursive: true });
  let names = ["00-tour.ipynb"];
  if (EXECUTED_DIR) {
    names = fs
      .readdirSync(EXECUTED_DIR)
      .filter((f) => f.endsWith(".ipynb"))
      .sort();
    for (const n of names) fs.copyFileSync(path.join(EXECUTED_DIR, n), path.join(dir, n));
  } else {
    // Executed as npm run notebooks executes it (nbconvert through the installed kernel), in a copy.
    const jp = jupyterPath(path.join(server.notebookDir, "..", "nbconvert-jupyter"));
    nbconvert(
      [
        "--to",
        "notebook",
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.kernel_name=tfjs-lab",
        "--ExecutePreprocessor.timeout=500",
        names[0],
      ],
      { JUPYTER_PATH: jp },
      dir,
    );
  }
  for (const name of names) {
    const executed = readJson(path.join(dir, name));
    const expected = figureOutputs(executed).length;
    assert.ok(expected >= 1, `${name} has figures`);
    assert.ok(fs.statSync(path.join(dir, name)).size < 1_000_000, `${name} is well under 1 MB`);
    // nbconvert signs nothing: to this server the file is someone else's, untrusted.
    const nb = await NotebookPage.open(browser, server, `committed/${name}`, 120_000);
    assert.equal(await nb.page.evaluate(() => (window as any).Jupyter.notebook.trusted), false);
    const shown = await waitForCharts(nb, expected, false);
    const figures = shown.filter((c) => c.image?.complete && c.image.w > 0);
    assert.equal(figures.length, expected, `${name}: every figure shows its static image: ${JSON.stringify(shown)}`);
    assert.ok(
      shown.every((c) => !c.interactive),
      "no script ran",
    );
    const areas = nb.page.locator(".output_area .tfjs-lab-plotly");
    assert.equal(await areas.count(), expected);
    for (let i = 0; i < expected; i++) {
      const drawn = await colouredPixels(areas.nth(i));
      assert.ok(drawn > 300, `${name} figure ${i}: ${drawn} coloured pixels`);
    }
    await nb.close();
    await server.shutdownKernels();
  }
});
