// Where the scan's progress line goes by default: a cell display updated in place, a
// terminal line rewritten with \r, or one final line in a log. The cell test runs last:
// once a cell has run, code outside any cell counts as that cell's (cell-context.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { YoloDataset, generateDetectionDataset } from "../../src/toolkit/data";
import { runInCell } from "../../src/engine/cell-context";
import { RecordingSink } from "../helpers/recording-sink";

async function withDataset(fn: (root: string, dataYaml: string) => Promise<void>): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-progress-"));
  try {
    const { dataYaml } = await generateDetectionDataset(root, { seed: 2, train: 5, val: 1, nc: 2, imgSize: 32, format: "png" });
    await fn(root, dataYaml);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function captureStderr(isTTY: boolean, fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  const tty = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
  let written = "";
  Object.defineProperty(process.stderr, "isTTY", { value: isTTY, configurable: true });
  process.stderr.write = ((chunk: string) => {
    written += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
    if (tty) Object.defineProperty(process.stderr, "isTTY", tty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
  return written;
}

test("outside a cell and a terminal: only the final line, once per open", async () => {
  await withDataset(async (root, dataYaml) => {
    const out = await captureStderr(false, () => YoloDataset.open(dataYaml, { imgSize: 32, warn: () => undefined }));
    assert.equal(out, `train: Scanning ${path.join(root, "labels", "train")}... 5 images, 0 backgrounds, 0 corrupt: 100% 5/5\n`);
  });
});

test("on a terminal: the line is rewritten in place and ends with a newline", async () => {
  await withDataset(async (root, dataYaml) => {
    const out = await captureStderr(true, () => YoloDataset.open(dataYaml, { imgSize: 32, warn: () => undefined, labelCache: false }));
    const labels = path.join(root, "labels", "train");
    assert.ok(out.startsWith(`\rtrain: Scanning ${labels}... 0 images, 0 backgrounds, 0 corrupt: 0% 0/5`));
    assert.ok(out.endsWith(`\rtrain: Scanning ${labels}... 5 images, 0 backgrounds, 0 corrupt: 100% 5/5\n`));
    assert.equal(out.split("\n").length, 2, "one line");
  });
});

test("in a notebook cell: one display, updated in place, ending at 100%", async () => {
  await withDataset(async (root, dataYaml) => {
    const sink = new RecordingSink();
    await runInCell({ sink, executionCount: 1, signal: new AbortController().signal }, () =>
      YoloDataset.open(dataYaml, { imgSize: 32, warn: () => undefined, labelCache: false }),
    );
    const shown = sink.events.filter((e) => e.type === "display_data" || e.type === "update_display_data");
    assert.ok(shown.length >= 2);
    assert.equal(shown[0].type, "display_data");
    assert.ok(shown.slice(1).every((e) => e.type === "update_display_data"));
    const ids = new Set(shown.map((e) => (e.transient as { display_id: string }).display_id));
    assert.equal(ids.size, 1);
    const last = shown[shown.length - 1].data as Record<string, string>;
    assert.equal(
      last["text/plain"],
      `train: Scanning ${path.join(root, "labels", "train")}... 5 images, 0 backgrounds, 0 corrupt: 100% 5/5`,
    );
    assert.match(last["text/html"], /^<pre class="tfjs-lab-progress"/);
    assert.equal(sink.text("stderr"), "");
  });
});
