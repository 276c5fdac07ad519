// The live view as a library: recording without a notebook cell, the throttle's guarantees
// (first display, one update per epoch, a final one), run naming, saving and reading runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Trainer, TypedEmitter, type BatchEvent, type TrainerEvents } from "../../src/toolkit/train";
import {
  liveTrainingView,
  sessionRuns,
  getRun,
  readRun,
  downsample,
  formatDuration,
  progressText,
  trainingFigure,
} from "../../src/toolkit/viz";
import { runInCell } from "../../src/engine/cell-context";
import { RecordingSink } from "../helpers/recording-sink";
import { mse, regressionData, TinyLinear } from "../train/tiny-models";

/** Replays trainer events by hand. */
class Replay extends TypedEmitter<TrainerEvents> {
  send<K extends keyof TrainerEvents>(k: K, ev: TrainerEvents[K]) {
    this.emit(k, ev);
  }
  epoch(epoch: number, nb: number, metrics: Record<string, number> = {}, items: Record<string, number> = { box: 1, cls: 2 }) {
    for (let b = 0; b < nb; b++) {
      const ev: BatchEvent = {
        epoch,
        batch: b,
        nb,
        ni: epoch * nb + b,
        loss: 3,
        items,
        lr: [0.01, 0.01],
        momentum: 0.9,
        accumulate: 1,
        optimizerStep: true,
        imgsPerSec: 16,
        elapsedMs: 10,
        etaMs: 61_000,
        memory: {} as BatchEvent["memory"],
      };
      this.send("batch", ev);
    }
    this.send("epoch", { epoch, trainLoss: 3, items, metrics, lr: [0.01, 0.01], epochMs: 5, peakBytes: 0, reservedBytes: 0 });
  }
}

// Runs first: later tests run code "in a cell", and output with no cell goes to the last one.
test("without a notebook cell the view only records: losses per iteration, metrics per epoch, the trainer's config", async () => {
  await tf.setBackend("cpu");
  const model = new TinyLinear(2, 1);
  const trainer = new Trainer({
    model,
    data: regressionData(4, 8),
    epochs: 2,
    loss: mse,
    nbs: null,
    lr0: 0.05,
    clipGradNorm: null,
    validate: ({ epoch }) => ({ top1: epoch }),
  });
  const view = liveTrainingView(trainer, { runName: "plain" });
  await trainer.fit();
  trainer.dispose();
  model.dispose();
  const run = getRun("plain")!;
  assert.equal(view.run, run);
  assert.equal(run.status, "done");
  assert.deepEqual(run.iterations.ni, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(run.iterations.x, [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
  assert.ok(run.iterations.loss[7] < run.iterations.loss[0], "loss falls");
  assert.deepEqual(run.iterations.items, {}, "a loss without parts has no items");
  assert.deepEqual(run.epochEnds.metrics, { top1: [0, 1] });
  assert.equal(run.epochs, 2);
  assert.equal(run.batchesPerEpoch, 4);
  assert.equal(run.config.lr0, 0.05);
  assert.equal(run.config.epochs, 2);
  assert.equal("model" in run.config, false, "only plain values are recorded");
  // Its figure: the total loss (no parts), the lr, the metric.
  assert.deepEqual(
    trainingFigure(run).data.map((t) => t.name),
    ["loss", "lr", "top1"],
  );
});

test("throttled: one new output, an update at every epoch end and a final one, nothing in between", () => {
  const sink = new RecordingSink();
  const replay = new Replay();
  runInCell({ sink, executionCount: 1, signal: new AbortController().signal }, () => {
    liveTrainingView(replay, { runName: "throttled", epochs: 3, minIntervalMs: 1e9 });
    for (let e = 0; e < 3; e++) replay.epoch(e, 10, { "mAP@0.5": e / 10 });
    replay.send("end", { epochsCompleted: 3, aborted: false, elapsedMs: 1000 });
  });
  const kinds = sink.events.map(
    (e) => `${e.type}:${String((e.transient as any).display_id).endsWith("-progress") ? "progress" : "figure"}`,
  );
  assert.deepEqual(kinds, [
    "display_data:progress",
    "display_data:figure", // first batch
    ...Array(4).fill(["update_display_data:progress", "update_display_data:figure"]).flat(), // 3 epochs + end
  ]);
  const first = (sink.events[0].data as Record<string, string>)["text/plain"];
  assert.equal(first, "throttled  epoch 1/3  batch 1/10  16.0 img/s  ETA 1:01  box 1 cls 2");
  assert.match(
    (sink.events[0].data as Record<string, string>)["text/html"],
    /^<pre class="tfjs-lab-progress"[^>]*><b>throttled<\/b> {2}epoch 1\/3/,
  );
  const last = (sink.events[sink.events.length - 2].data as Record<string, string>)["text/plain"];
  assert.equal(last, "throttled  done: 3/3 epochs in 0:01  train loss 3  mAP@0.5 0.2");
  const fig = (sink.events[sink.events.length - 1].data as Record<string, any>)["application/vnd.plotly.v1+json"];
  assert.deepEqual(
    fig.data.map((t: any) => [t.name, t.y.length]),
    [
      ["box", 30],
      ["cls", 30],
      ["lr", 30],
      ["mAP@0.5", 3],
    ],
  );
});

test("a curve of one point shows its marker (plotly draws no line through one point); longer curves are lines", () => {
  const replay = new Replay();
  liveTrainingView(replay, { runName: "one-iteration", epochs: 2 });
  replay.epoch(0, 1, { "mAP@0.5": 0.1 });
  const modes = (fig: ReturnType<typeof trainingFigure>) => fig.data.map((t) => [t.name, t.mode]);
  assert.deepEqual(modes(trainingFigure(getRun("one-iteration")!)), [
    ["box", "lines+markers"],
    ["cls", "lines+markers"],
    ["lr", "lines+markers"],
    ["mAP@0.5", "lines+markers"],
  ]);
  replay.epoch(1, 1, { "mAP@0.5": 0.2 });
  assert.deepEqual(modes(trainingFigure(getRun("one-iteration")!)), [
    ["box", "lines"],
    ["cls", "lines"],
    ["lr", "lines"],
    ["mAP@0.5", "lines+markers"],
  ]);
});

test("every: 'epoch' never redraws inside an epoch; a second fit is a new run with its own output", () => {
  const sink = new RecordingSink();
  const replay = new Replay();
  runInCell({ sink, executionCount: 2, signal: new AbortController().signal }, () => {
    liveTrainingView(replay, { runName: "byepoch", every: "epoch", minIntervalMs: 0 });
    replay.epoch(0, 5);
    replay.send("end", { epochsCompleted: 1, aborted: true, elapsedMs: 50 });
    replay.epoch(0, 5);
    replay.send("end", {
      epochsCompleted: 0,
      aborted: false,
      elapsedMs: 50,
      error: Object.assign(new Error("Expected input batch_size (32) to match target batch_size (64)."), { name: "ValueError" }),
    });
  });
  assert.deepEqual(
    sink.events.map((e) => e.type),
    [
      "display_data",
      "display_data",
      "update_display_data",
      "update_display_data", // run 1: epoch end, end
      "display_data",
      "display_data",
      "update_display_data",
      "update_display_data", // run 2
    ],
  );
  const ids = new Set(sink.events.map((e) => (e.transient as any).display_id));
  assert.equal(ids.size, 4);
  const texts = sink.events
    .filter((e) => e.type === "update_display_data" && String((e.transient as any).display_id).endsWith("-progress"))
    .map((e) => (e.data as any)["text/plain"]);
  assert.match(texts[0], /^byepoch {2}stopped after 1 epochs \(0:00\)/);
  assert.match(
    texts[1],
    /^byepoch-2 {2}failed after 0 epochs \(0:00\): Expected input batch_size \(32\) to match target batch_size \(64\)\./,
  );
  assert.equal(getRun("byepoch")!.status, "aborted");
  assert.equal(getRun("byepoch-2")!.status, "failed");
  assert.equal(getRun("byepoch-2")!.error, "ValueError: Expected input batch_size (32) to match target batch_size (64).");
  assert.ok(
    sessionRuns()
      .map((r) => r.name)
      .includes("plain"),
  );
});

test("runs saved in runsDir read back the same, with loss parts that appear late padded with NaN", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-runs-"));
  try {
    const replay = new Replay();
    liveTrainingView(replay, { runName: "saved/one", runsDir: dir, display: false });
    replay.epoch(0, 2, {}, { box: 1 });
    replay.epoch(1, 2, { top5: 0.5 }, { box: 1, obj: 0.5 });
    replay.send("end", { epochsCompleted: 2, aborted: false, elapsedMs: 10 });
    const file = path.join(dir, "saved_one.json");
    const back = readRun(file);
    const mem = getRun("saved/one")!;
    assert.equal(back.id, mem.id);
    assert.equal(back.status, "done");
    assert.deepEqual(back.iterations.items.obj, [NaN, NaN, 0.5, 0.5]);
    assert.deepEqual(back.epochEnds.metrics.top5, [NaN, 0.5]);
    assert.deepEqual(back.iterations, mem.iterations);
    assert.throws(() => {
      fs.writeFileSync(path.join(dir, "x.json"), "{}");
      readRun(path.join(dir, "x.json"));
    }, /is not a saved training run/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("long curves are averaged into at most 1500 points; durations and progress read as m:ss", () => {
  const x = Array.from({ length: 30_000 }, (_, i) => i),
    y = x.map((i) => i % 2);
  const d = downsample(x, y);
  assert.equal(d.x.length, 1500);
  assert.ok(d.y.every((v) => v === 0.5));
  assert.equal(d.x[1499], 29_999);
  assert.equal(formatDuration(42_000), "0:42");
  assert.equal(formatDuration(3_725_000), "1:02:05");
  assert.equal(
    progressText({ epoch: 2, epochs: 10, batch: 11, batches: 40, imgsPerSec: 8.1, etaMs: 42_000 }),
    "epoch 3/10  batch 12/40  8.1 img/s  ETA 0:42",
  );
  assert.equal(progressText({ epoch: 0, batch: 3, batches: NaN, etaMs: NaN, loss: 0.5 }), "epoch 1  batch 4  loss 0.5");
});
