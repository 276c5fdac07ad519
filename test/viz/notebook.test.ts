// The live training view, %loss and inline images through the engine, as a notebook uses them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { RecordingSink, type Recorded } from "../helpers/recording-sink";
import { figureOfBundle } from "../../src/display";

let engine: LabEngine;
let figureIdOfA: string | undefined;
const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-viz-runs-"));

before(() => {
  engine = createToolkitEngine({ log: () => {} });
});
after(async () => {
  await engine.shutdown();
  fs.rmSync(runsDir, { recursive: true, force: true });
});

async function run(code: string) {
  const sink = new RecordingSink();
  const reply = await engine.execute(code, sink);
  assert.notEqual(reply.status, "aborted");
  return { sink, reply };
}

interface Fig {
  data: { name: string; x: number[]; y: number[]; yaxis?: string }[];
  layout: Record<string, any>;
}
// An update carries the figure in its HTML only (src/display/reprs/plotly.ts says why).
const plotly = (e: Recorded) => figureOfBundle(e.data as Record<string, unknown>) as Fig | undefined;
const displayId = (e: Recorded) => (e.transient as { display_id?: string } | undefined)?.display_id;

// A two-weight linear model trained on y = 2·x0 − x1 for `epochs` epochs of 5 batches, with
// two loss parts and a per-epoch metric, watched by the live view.
function trainingCell(runName: string, lr: number, viewOptions = "") {
  return `
await tf.setBackend("cpu");
class Lin extends lab.Module {
  w = this.param("w", tf.randomNormal([2, 1], 0, 0.1, "float32", 1));
  forward(x: tf.Tensor) { return tf.matMul(x as tf.Tensor2D, this.w as tf.Tensor2D); }
}
const model_${runName} = new Lin();
const data_${runName} = { length: 5, *[Symbol.iterator]() {
  for (let i = 0; i < 5; i++) {
    const x = tf.randomUniform([4, 2], -1, 1, "float32", i);
    yield { images: x, targets: tf.tidy(() => tf.matMul(x, tf.tensor2d([[2], [-1]]))) };
  }
} };
const trainer_${runName} = new lab.Trainer({
  model: model_${runName}, data: data_${runName}, epochs: 3, nbs: null, lr0: ${lr}, clipGradNorm: null,
  loss: (out: unknown, b: { targets: tf.Tensor }) => {
    const l = tf.losses.meanSquaredError(b.targets, out as tf.Tensor) as tf.Scalar;
    return { loss: l, items: { box: tf.mul(l, 0.75), obj: tf.mul(l, 0.25) } };
  },
  validate: ({ epoch }) => ({ "mAP@0.5": (epoch + 1) / 10 }),
});
lab.liveTrainingView(trainer_${runName}, { runName: "${runName}", runsDir: ${JSON.stringify(runsDir)}${viewOptions} });
await trainer_${runName}.fit();
trainer_${runName}.dispose();
`;
}

test("%loss with no runs says how to record one", async () => {
  const { sink, reply } = await run("%loss");
  assert.equal(reply.status, "ok");
  assert.match(sink.text(), /^No training runs in this session yet\. Record one with lab\.liveTrainingView\(trainer\)/);
  assert.equal(sink.result(), undefined);
});

test("the live view shows a figure and a progress line, then updates both in place every epoch", async () => {
  const { sink, reply } = await run(trainingCell("a", 0.05));
  assert.equal(reply.status, "ok", JSON.stringify(sink.events.filter((e) => e.type === "error")));
  const displays = sink.events.filter((e) => e.type === "display_data" || e.type === "update_display_data");
  // First the progress line, then the figure, both new outputs with display ids.
  assert.deepEqual(
    displays.slice(0, 2).map((e) => e.type),
    ["display_data", "display_data"],
  );
  const [progressId, figureId] = displays.slice(0, 2).map(displayId);
  assert.ok(progressId && figureId && progressId !== figureId);
  figureIdOfA = figureId;
  assert.ok(plotly(displays[1]), "the second output is a plotly figure");
  assert.equal(displays.filter((e) => e.type === "display_data").length, 2, "later outputs are updates, not new outputs");
  const figUpdates = displays.filter((e) => e.type === "update_display_data" && displayId(e) === figureId);
  const progUpdates = displays.filter((e) => e.type === "update_display_data" && displayId(e) === progressId);
  // The metric trace grows by one point per epoch: an update was sent after each epoch.
  const metricLengths = new Set(figUpdates.map((e) => plotly(e)!.data.find((t) => t.name === "mAP@0.5")?.y.length ?? 0));
  for (const n of [1, 2, 3]) assert.ok(metricLengths.has(n), `an update with ${n} epochs of metrics (got ${[...metricLengths]})`);
  // The final figure holds every iteration and every epoch.
  const final = plotly(figUpdates[figUpdates.length - 1])!;
  const names = final.data.map((t) => t.name);
  assert.deepEqual(names, ["box", "obj", "lr", "mAP@0.5"]);
  const box = final.data[0];
  assert.equal(box.x.length, 15);
  assert.equal(box.x[box.x.length - 1], 3);
  assert.equal(final.data[2].yaxis, "y2", "the learning rate has its own axis");
  assert.deepEqual(
    final.data[3].y.map((v) => +v.toFixed(3)),
    [0.1, 0.2, 0.3],
  );
  assert.equal(final.layout.title.text, "a");
  // Every update is a whole figure with its own static image: none depends on another output.
  for (const e of [displays[1], ...figUpdates]) {
    const d = e.data as Record<string, string>;
    assert.ok(d["image/png"] && d["text/html"].includes(d["image/png"]), "each update carries its PNG, in its HTML too");
  }
  // The progress line moves, then ends with the summary.
  const texts = progUpdates.map((e) => String((e.data as Record<string, string>)["text/plain"]));
  assert.ok(texts.length >= 3);
  assert.ok(
    texts.some((t) => /^a {2}epoch [123]\/3 {2}batch [1-5]\/5 {2}[\d.]+ img\/s {2}ETA \d+:\d\d {2}box [\d.e+-]+ obj [\d.e+-]+$/.test(t)),
    texts.join("\n"),
  );
  assert.match(texts[texts.length - 1], /^a {2}done: 3\/3 epochs in \d+:\d\d {2}train loss [\d.e+-]+ {2}mAP@0\.5 0\.3$/);
  assert.ok(fs.existsSync(path.join(runsDir, "a.json")), "the run was saved in runsDir");
});

test("every batch can redraw when the throttle is off; each run gets its own display id", async () => {
  const { sink, reply } = await run(trainingCell("b", 0.01, ', every: "batch", minIntervalMs: 0'));
  assert.equal(reply.status, "ok");
  const figs = sink.events.filter((e) => plotly(e));
  // 15 batches + 3 epoch ends + the end: one new output and 18 updates.
  assert.equal(figs.length, 19);
  assert.equal(new Set(figs.map(displayId)).size, 1);
  assert.ok(figureIdOfA && displayId(figs[0]) !== figureIdOfA);
});

test("%loss overlays runs by name, all runs, a metric, and saved runs from --dir", async () => {
  const two = await run("%loss a b");
  assert.equal(two.reply.status, "ok");
  const fig = plotly(two.sink.events.find((e) => e.type === "execute_result")!)!;
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ["a", "b"],
  );
  assert.ok(fig.data.every((t) => t.y.length === 15));
  assert.notDeepEqual(fig.data[0].y, fig.data[1].y, "different learning rates give different curves");

  const metric = await run("%loss --metric mAP@0.5");
  const mf = plotly(metric.sink.events.find((e) => e.type === "execute_result")!)!;
  assert.deepEqual(
    mf.data.map((t) => [t.name, t.x]),
    [
      ["a", [1, 2, 3]],
      ["b", [1, 2, 3]],
    ],
  );

  // A run saved by an earlier session shows up with --dir; this session's own saved runs are not doubled.
  const saved = JSON.parse(fs.readFileSync(path.join(runsDir, "a.json"), "utf8"));
  fs.writeFileSync(path.join(runsDir, "yesterday.json"), JSON.stringify({ ...saved, id: "older-session", name: "yesterday" }));
  fs.writeFileSync(path.join(runsDir, "notes.json"), JSON.stringify({ not: "a run" }));
  const withDir = await run(`%loss --dir ${runsDir}`);
  const df = plotly(withDir.sink.events.find((e) => e.type === "execute_result")!)!;
  assert.deepEqual(
    df.data.map((t) => t.name),
    ["a", "b", "yesterday"],
  );
});

test("%loss errors: unknown run lists the known ones, unknown curve lists the curves, bad --dir", async () => {
  const unknown = await run("%loss a nope");
  assert.equal(unknown.reply.status, "error");
  assert.equal((unknown.reply as any).ename, "UsageError");
  assert.match((unknown.reply as any).evalue, /^%loss: unknown run "nope"\. Known runs: a, b\nUsage: %loss \[RUN \.\.\.\]/);
  const curve = await run("%loss --metric top5");
  assert.equal((curve.reply as any).ename, "UsageError");
  assert.match((curve.reply as any).evalue, /no run has a curve named "top5"\. Curves: loss, box, obj, mAP@0\.5/);
  const dir = await run("%loss --dir /no/such/dir");
  assert.match((dir.reply as any).evalue, /^%loss: no such directory: \/no\/such\/dir/);
  const opt = await run("%loss --bogus");
  assert.equal((opt.reply as any).ename, "UsageError");
  const help = await run("%loss?");
  assert.match(help.sink.text(), /^Usage: %loss \[RUN \.\.\.\] \[--dir DIR\] \[--metric NAME\]/);
});

test("drawn detections and grids display inline as PNG, as a cell's value or through display()", async () => {
  const value = await run("await lab.drawDetections(tf.zeros([48, 64, 3]), [[4, 4, 40, 30, 0.8, 1]], { names: ['a', 'b'] })");
  assert.equal(value.reply.status, "ok", JSON.stringify(value.sink.events));
  const r = value.sink.events.find((e) => e.type === "execute_result")!.data as Record<string, string>;
  assert.equal(r["text/plain"], "<PNG image 64x48: 1 detection>");
  const meta = await sharp(Buffer.from(r["image/png"], "base64")).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", 64, 48]);
  const shown = await run("display(await lab.imageGrid(tf.zeros([3, 8, 8, 3]), [0, 1, 1], { cols: 3, names: ['cat', 'dog'] }))");
  const d = shown.sink.events.find((e) => e.type === "display_data")!.data as Record<string, string>;
  assert.equal(d["text/plain"], "<PNG image 28x8: 3 images, 3 per row>");
});
