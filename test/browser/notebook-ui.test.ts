// The product as a person meets it: Debian's Jupyter Notebook server with our kernel,
// headless Chromium, Cell > Run All, and checks on the rendered page (charts drawn,
// tables, images, errors shown as errors, in-place updates). Screenshots go to
// test-artifacts/browser/; with TFJS_LAB_UPDATE_SCREENSHOTS=1 the two README ones are
// also copied to docs/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { KERNEL_ROOT } from "../../src/engine/compiler";
import { mirrorRepository, startJupyterServer, type JupyterServer } from "./jupyter-server";
import { NotebookPage, isError, type CellView, type OutputView } from "./notebook-page";
import { UI_CELLS, UPDATES, TRAIN_EPOCHS, TRAIN_BATCHES, cellIndex, uiNotebookJson } from "./ui-notebook";

const ARTIFACTS = path.join(KERNEL_ROOT, "test-artifacts", "browser");
const README_SHOTS = path.join(KERNEL_ROOT, "docs", "screenshots");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
// The committed notebooks take 20-70 s each through the UI on CI's 2 cores, so all of them
// run within this budget; any not started within it is reported as skipped, by name
// (TFJS_LAB_BROWSER_NOTEBOOK_BUDGET_S=0: no limit).
const NOTEBOOK_BUDGET_S = Number(process.env.TFJS_LAB_BROWSER_NOTEBOOK_BUDGET_S ?? 600);
const UI_NOTEBOOK = "browser-ui.ipynb";

let server: JupyterServer;
let browser: Browser;

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startJupyterServer();
  mirrorRepository(server.notebookDir, KERNEL_ROOT);
  fs.writeFileSync(path.join(server.notebookDir, UI_NOTEBOOK), uiNotebookJson());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (server) {
    fs.writeFileSync(path.join(ARTIFACTS, "jupyter-server.log"), server.log());
    await server.stop();
  }
});

const allText = (c: CellView) => c.outputs.map((o) => o.text).join("\n");
const describe = (c: CellView) =>
  `cell ${c.index} [${c.executionCount ?? " "}] ${c.outputs.length} outputs: ` +
  c.outputs
    .map(
      (o) =>
        `{${o.classes.replace("output_subarea ", "")}: ${JSON.stringify(o.text.slice(0, 160))}` +
        `${o.plots.length ? ` plots=${JSON.stringify(o.plots)}` : ""}${o.images.length ? ` images=${JSON.stringify(o.images)}` : ""}` +
        `${o.tables ? ` tables=${o.tables}` : ""}}`,
    )
    .join(", ");

/** A drawn chart: the SVG is there and plotly drew every trace it was given. */
function assertChartDrawn(o: OutputView, where: string): void {
  assert.ok(
    o.plots.length >= o.chartDivs && o.plots.length > 0,
    `${where}: chart not drawn (${o.chartDivs} chart divs, ${o.plots.length} plots)`,
  );
  for (const p of o.plots) {
    assert.ok(p.svg, `${where}: no .main-svg in the chart`);
    assert.ok(p.traces > 0 && p.drawnTraces >= p.traces, `${where}: ${p.traces} traces given, ${p.drawnTraces} drawn`);
  }
}

test("browser: every kind of output renders as a person should see it", { timeout: 300_000 }, async (t) => {
  const opening = Date.now();
  const nb = await NotebookPage.open(browser, server, UI_NOTEBOOK);
  t.diagnostic(`page open and kernel idle after ${((Date.now() - opening) / 1000).toFixed(1)} s`);
  const started = Date.now();
  try {
    await nb.runAll(240_000);
    t.diagnostic(`Run All of ${UI_CELLS.length} cells took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const cells = await nb.cells();
    for (const c of cells) t.diagnostic(describe(c));

    // Screenshots first, so a failing check still leaves the picture behind.
    await nb.unscrollOutputs();
    await nb.screenshotFull(path.join(ARTIFACTS, "ui-full.png"));
    for (const { key } of UI_CELLS) {
      if (cells[cellIndex(key)].outputs.length) await nb.screenshotOutputs(cellIndex(key), path.join(ARTIFACTS, `ui-${key}.png`));
    }
    // The README's shape table shows the command that made it.
    await nb.screenshotCell(cellIndex("shapes"), path.join(ARTIFACTS, "ui-shapes-cell.png"));
    t.diagnostic(`screenshots done ${((Date.now() - started) / 1000).toFixed(1)} s after Run All began`);
    if (process.env.TFJS_LAB_UPDATE_SCREENSHOTS === "1") {
      fs.mkdirSync(README_SHOTS, { recursive: true });
      fs.copyFileSync(path.join(ARTIFACTS, "ui-training.png"), path.join(README_SHOTS, "live-training.png"));
      fs.copyFileSync(path.join(ARTIFACTS, "ui-shapes-cell.png"), path.join(README_SHOTS, "shape-table.png"));
    }

    // One subtest per thing a person looks at, so one broken output does not hide the others.
    const cell = (key: string) => cells[cellIndex(key)];
    const check = (name: string, fn: () => void) => t.test(name, fn);

    await check("every cell ran; no error or stderr outside the cell tagged raises-exception", () => {
      for (const c of cells) assert.notEqual(c.executionCount, null, `cell ${c.index} did not run: ${describe(c)}`);
      for (const c of cells) {
        if (c.tags.includes("raises-exception")) continue;
        assert.ok(!c.outputs.some(isError), `unexpected error in ${describe(c)}`);
        // stderr shows in red: nothing in this notebook should write there.
        assert.ok(!c.outputs.some((o) => /\boutput_stderr\b/.test(o.classes)), `stderr output in ${describe(c)}`);
      }
      assert.match(allText(cell("setup")), /cpu/, describe(cell("setup")));
    });

    await check("live training view: one progress line and one drawn chart, updated in place to the final run", () => {
      const training = cell("training");
      assert.equal(training.outputs.length, 2, describe(training));
      assert.match(training.outputs[0].text, /tiny-circle/, describe(training));
      assert.match(training.outputs[0].text, new RegExp(`\\b${TRAIN_EPOCHS}/${TRAIN_EPOCHS} epochs\\b`), describe(training));
      const chart = training.outputs[1];
      assertChartDrawn(chart, "training chart");
      assert.equal(chart.plots.length, 1, describe(training));
      assert.equal(chart.plots[0].title, "TinyNet on the circle task", describe(training));
      assert.ok(
        chart.plots[0].points.includes(TRAIN_EPOCHS * TRAIN_BATCHES),
        `the final chart holds all ${TRAIN_EPOCHS * TRAIN_BATCHES} batches: ${describe(training)}`,
      );
    });

    await check("%shapes: an HTML table of the variables, the 64-row target flagged against the 32-row batch", () => {
      const shapes = cell("shapes");
      assert.equal(shapes.outputs.length, 1, describe(shapes));
      assert.equal(shapes.outputs[0].tables, 1, describe(shapes));
      const rows = shapes.outputs[0].text
        .split("\n")
        .filter((l) => l.includes("\t"))
        .map((l) => l.split("\t"));
      assert.deepEqual(
        rows.map((r) => r[0]),
        ["name", "net", "images", "logits", "targets", "features"],
        describe(shapes),
      );
      const flagged = rows.filter((r) => /≠/.test(r[r.length - 1])).map((r) => `${r[0]} ${r[2]}`);
      assert.deepEqual(flagged, ["targets [64, 10]"], describe(shapes));
    });

    await check("arquero table: rendered as an HTML table", () => {
      const table = cell("table");
      assert.equal(table.outputs.length, 1, describe(table));
      assert.equal(table.outputs[0].tables, 1, describe(table));
      assert.match(table.outputs[0].text, /^epoch\tbox\tobj\tmAP@0\.5\n1\t0\.081\t0\.032\t0\.12\n/, describe(table));
    });

    await check("image: an <img> with a data: PNG of the drawn size", () => {
      const image = cell("image");
      assert.equal(image.outputs.length, 1, describe(image));
      const [img] = image.outputs[0].images;
      assert.ok(img, `no <img> in ${describe(image)}`);
      assert.equal(img.mime, "image/png");
      assert.ok(img.base64Length > 100, describe(image));
      assert.deepEqual([img.width, img.height], [128, 96], describe(image));
    });

    await check("figure(): both traces drawn, with the title given", () => {
      const fig = cell("figure");
      assert.equal(fig.outputs.length, 1, describe(fig));
      assertChartDrawn(fig.outputs[0], "figure()");
      assert.deepEqual(
        fig.outputs[0].plots.map((p) => [p.traces, p.drawnTraces]),
        [[2, 2]],
        describe(fig),
      );
      assert.deepEqual(
        fig.outputs[0].plots.map((p) => p.title),
        ["loss"],
        `layout.title given as a string is not drawn: ${describe(fig)}`,
      );
    });

    await check(`display(x, {displayId, update}) ${UPDATES} times: one output holding the last value`, () => {
      const update = cell("update");
      assert.equal(update.outputs.length, 1, describe(update));
      assert.match(update.outputs[0].text, new RegExp(`value ${UPDATES}`), describe(update));
      assert.doesNotMatch(update.outputs[0].text, new RegExp(`value ${UPDATES - 1}`), describe(update));
      const figUpdate = cell("figure-update");
      assert.equal(figUpdate.outputs.length, 1, describe(figUpdate));
      assertChartDrawn(figUpdate.outputs[0], "updated figure");
      assert.deepEqual(
        figUpdate.outputs[0].plots.map((p) => p.points),
        [[UPDATES + 1]],
        describe(figUpdate),
      );
    });

    await check("errors: shown as an error with the original name and text; the kernel goes on", () => {
      const error = cell("error");
      assert.equal(error.outputs.length, 1, describe(error));
      assert.ok(isError(error.outputs[0]), `not shown as an error: ${describe(error)}`);
      assert.match(
        error.outputs[0].text,
        /^ValueError: Expected input batch_size \(32\) to match target batch_size \(64\)\./,
        describe(error),
      );
      assert.match(allText(cell("after-error")), /kernel alive after the error: 6/, describe(cell("after-error")));
      // The traceback points at the TypeScript the user wrote (the cell's only line) and shows it.
      const frame = new RegExp(`In\\[${error.executionCount}\\]:(\\d+):(\\d+)`).exec(error.outputs[0].text);
      t.diagnostic(`the one-line error cell's frame in the traceback: ${frame?.[0] ?? "none"}`);
      assert.equal(frame?.[1], "1", `the frame's line: ${describe(error)}`);
      assert.match(
        error.outputs[0].text,
        /\n\s+lab\.crossEntropy\(logits, tf\.zeros\(\[64\], "int32"\)\)/,
        `the source line under the frame: ${describe(error)}`,
      );
    });
  } finally {
    await nb.close();
    await server.shutdownKernels();
  }
});

test("browser: the committed notebooks run through the UI without unexpected errors, charts drawn", { timeout: 600_000 }, async (t) => {
  const dir = path.join(server.notebookDir, "notebooks");
  // Dot files are the build's scratch copies, not notebooks.
  const names = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
        .sort()
    : [];
  if (names.length === 0) {
    t.skip("no notebooks/*.ipynb in the repository yet (build them with `npm run notebooks`)");
    return;
  }
  const started = Date.now();
  for (const name of names) {
    const spent = (Date.now() - started) / 1000;
    if (NOTEBOOK_BUDGET_S > 0 && spent > NOTEBOOK_BUDGET_S) {
      await t.test(name, (s) => {
        s.skip(
          `browser budget of ${NOTEBOOK_BUDGET_S} s spent (${spent.toFixed(0)} s); run with TFJS_LAB_BROWSER_NOTEBOOK_BUDGET_S=0 for all`,
        );
      });
      continue;
    }
    await t.test(name, async (s) => {
      const nb = await NotebookPage.open(browser, server, `notebooks/${name}`);
      const begin = Date.now();
      try {
        await nb.runAll(300_000);
        s.diagnostic(`${name}: Run All took ${((Date.now() - begin) / 1000).toFixed(1)} s`);
        const cells = (await nb.cells()).filter((c) => c.cellType === "code" && c.source.trim() !== "");
        await nb.screenshotFull(path.join(ARTIFACTS, `${name.replace(/\.ipynb$/, "")}-full.png`));
        let charts = 0;
        for (const c of cells) {
          assert.notEqual(c.executionCount, null, `${name}: cell ${c.index} did not run: ${describe(c)}`);
          const expectsError = c.tags.includes("raises-exception");
          const errors = c.outputs.filter(isError);
          if (expectsError) assert.ok(errors.length > 0, `${name}: cell tagged raises-exception shows no error: ${describe(c)}`);
          else assert.equal(errors.length, 0, `${name}: unexpected error: ${describe(c)}`);
          for (const o of c.outputs) {
            if (o.chartDivs === 0 && o.plots.length === 0) continue;
            assertChartDrawn(o, `${name} cell ${c.index}`);
            charts += o.plots.length;
          }
        }
        s.diagnostic(`${name}: ${cells.length} cells, ${charts} charts drawn`);
      } finally {
        await nb.close();
        await server.shutdownKernels();
      }
    });
  }
});
