// Shared by the figure viewer tests: a notebook of figures of every static kind, Chromium,
// and counting a trace colour's pixels in a screenshot (what a person would see drawn).
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import sharp from "sharp";
import { chromium, type Browser, type Locator } from "playwright-core";
import { writeKernelSpec } from "../../src/cli/install-command";
import { figureOfBundle } from "../../src/display";

export const PYTHON = "/usr/bin/python3";
export const BLUE = [0x1f, 0x77, 0xb4];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Cells that each show one figure; every figure's first trace is plotly's first colour. */
export const FIGURE_CELLS = [
  `figure([{ x: [1, 2, 3, 4], y: [4, 1, 3, 2], name: "loss" }, { x: [1, 2, 3, 4], y: [0.1, 0.01, 0.001, 0.0001], name: "lr", yaxis: "y2" }], { title: "two y axes", yaxis2: { overlaying: "y", side: "right", type: "log" } })`,
  `display(figure([{ type: "bar", x: ["person", "car", "dog"], y: [5, 3, 8] }], { title: "categories" }))`,
  `figure([{ type: "histogram", x: Array.from({ length: 3000 }, (_, i) => Math.sin(i) + Math.cos(i * 0.37)) }], { title: "3,000 values" })`,
  `figure([{ type: "heatmap", z: [[1, 2], [3, 4]], colorscale: [[0, "#1f77b4"], [1, "#aec7e8"]] }], { title: "heatmap" })`,
  `display(figure([{ y: [1, 2] }]), { displayId: "live" }); display(figure([{ y: [2, 1, 3], name: "updated" }], { title: "updated in place" }), { displayId: "live", update: true })`,
];

export function figureNotebook(cells = FIGURE_CELLS): string {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "tfjs-lab", display_name: "TypeScript (tfjs-lab)", language: "typescript" },
        language_info: { name: "typescript" },
      },
      cells: cells.map((source, i) => ({ cell_type: "code", id: `fig-${i}`, metadata: {}, source, outputs: [], execution_count: null })),
    },
    null,
    1,
  );
}

/** A Jupyter home holding only our kernelspec (what tfjs-lab install writes). */
export function jupyterPath(dir: string): string {
  writeKernelSpec(path.join(dir, "kernels", "tfjs-lab"));
  return dir;
}

/** Runs Debian's nbconvert; throws with its stderr when it fails. */
export function nbconvert(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): void {
  const r = spawnSync(PYTHON, ["-m", "nbconvert", ...args], { encoding: "utf8", env: { ...process.env, ...env }, cwd, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`nbconvert ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-4000)}`);
}

/** Pixels of `color` (within a small tolerance) in a screenshot of an element. */
export async function colorPixels(el: Locator, color = BLUE): Promise<number> {
  await el.scrollIntoViewIfNeeded();
  const shot = await el.screenshot();
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < info.width * info.height * 3; i += 3) {
    if (Math.abs(data[i] - color[0]) + Math.abs(data[i + 1] - color[1]) + Math.abs(data[i + 2] - color[2]) <= 40) n++;
  }
  return n;
}

/** Coloured (not white, not grey) pixels in a screenshot of an element: anything drawn in colour. */
export async function colouredPixels(el: Locator): Promise<number> {
  await el.scrollIntoViewIfNeeded();
  const { data, info } = await sharp(await el.screenshot())
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < info.width * info.height * 3; i += 3) {
    const hi = Math.max(data[i], data[i + 1], data[i + 2]),
      lo = Math.min(data[i], data[i + 1], data[i + 2]);
    if (hi - lo > 60) n++;
  }
  return n;
}

/** Every figure output, updated ones too (they keep the figure in their HTML only). */
export const figureOutputs = (nb: { cells: { outputs?: { data?: Record<string, unknown> }[] }[] }) =>
  nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && figureOfBundle(o.data));

export const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
