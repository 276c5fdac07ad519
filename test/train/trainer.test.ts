import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  type BatchEvent,
  type EndEvent,
  type EpochEvent,
  readRunLog,
  resetDeviceMemory,
  setMemoryBudget,
  Trainer,
} from "../../src/toolkit/train";
import { mse, regressionData, TinyLinear } from "./tiny-models";

test("loss falls, events are emitted, run log is written, no tensor leaks per step", async () => {
  await tf.setBackend("cpu");
  resetDeviceMemory();
  setMemoryBudget(null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trainer-"));
  const model = new TinyLinear(2, 1);
  const baseline = tf.memory().numTensors;
  const trainer = new Trainer({
    model,
    data: regressionData(20, 8),
    epochs: 3,
    loss: mse,
    nbs: null,
    lr0: 0.05,
    clipGradNorm: null,
    runLog: path.join(dir, "run.jsonl"),
    validate: () => ({ score: 1 }),
  });
  const batches: BatchEvent[] = [],
    epochs: EpochEvent[] = [],
    ends: EndEvent[] = [];
  const tensorsAfterStep: number[] = [];
  trainer.on("batch", (e) => {
    batches.push(e);
    tensorsAfterStep.push(tf.memory().numTensors);
  });
  trainer.on("epoch", (e) => epochs.push(e)).on("end", (e) => ends.push(e));
  const result = await trainer.fit();

  assert.equal(batches.length, 60);
  assert.equal(epochs.length, 3);
  assert.deepEqual(
    ends.map((e) => [e.epochsCompleted, e.aborted]),
    [[3, false]],
  );
  assert.ok(epochs[2].trainLoss < epochs[0].trainLoss * 0.2, `loss ${epochs.map((e) => e.trainLoss)}`);
  assert.deepEqual(epochs[0].metrics, { score: 1 });
  const b = batches[5];
  assert.equal(b.nb, 20);
  assert.equal(b.accumulate, 1);
  assert.equal(b.optimizerStep, true);
  assert.ok(b.imgsPerSec > 0 && b.elapsedMs >= 0 && b.etaMs >= 0 && b.memory.peakBytes > 0);
  // every step leaves the same number of tensors (slots created in step 1)
  assert.ok(
    tensorsAfterStep.every((n) => n === tensorsAfterStep[0]),
    `tensors per step: ${tensorsAfterStep}`,
  );
  trainer.dispose();
  assert.equal(tf.memory().numTensors, baseline);
  const log = readRunLog(path.join(dir, "run.jsonl"));
  assert.equal(log.length, 3);
  assert.equal(log[2].epoch, 2);
  assert.equal(result.epochs.length, 3);
  model.dispose();
});

test("accumulation steps the optimizer at YOLOv5's iterations, with and without warm-up", async () => {
  const steps = async (warm: { warmupEpochs: number; minWarmupIterations: number }) => {
    const model = new TinyLinear(2, 1);
    const trainer = new Trainer({ model, data: regressionData(16, 16), epochs: 1, loss: mse, batchSize: 16, nbs: 64, ...warm });
    const got: number[] = [],
      acc: number[] = [];
    trainer.on("batch", (e) => {
      acc.push(e.accumulate);
      if (e.optimizerStep) got.push(e.ni);
    });
    await trainer.fit();
    trainer.dispose();
    model.dispose();
    return { got, acc };
  };
  // nw = 0: accumulate 1 at ni = 0, then 4: steps when ni - last >= 4
  assert.deepEqual((await steps({ warmupEpochs: 0, minWarmupIterations: 0 })).got, [0, 4, 8, 12]);
  // nw = 8: accumulate = round(1 + 3 ni / 8) -> 1,1,2,2,2,3,3,4,4...
  const w = await steps({ warmupEpochs: 0, minWarmupIterations: 8 });
  assert.deepEqual(w.acc.slice(0, 9), [1, 1, 2, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(w.got, [0, 1, 3, 6, 10, 14]);
});

test("warm-up drives the bias lr down from 0.1 and the others up from 0", async () => {
  const model = new TinyLinear(2, 1);
  const trainer = new Trainer({
    model,
    data: regressionData(10, 16),
    epochs: 2,
    loss: mse,
    batchSize: 16,
    lr0: 0.01,
    warmupEpochs: 0,
    minWarmupIterations: 10,
  });
  const lrs: number[][] = [],
    moms: number[] = [];
  trainer.on("batch", (e) => {
    lrs.push(e.lr);
    moms.push(e.momentum);
  });
  await trainer.fit();
  assert.deepEqual(
    lrs[0].map((x) => +x.toFixed(6)),
    [0.1, 0, 0],
  );
  // ni = 5 of nw = 10: halfway to lr0 * lf(0) = 0.01
  assert.deepEqual(
    lrs[5].map((x) => +x.toFixed(6)),
    [0.055, 0.005, 0.005],
  );
  assert.ok(Math.abs(moms[5] - 0.8685) < 1e-9);
  // epoch 1, after warm-up at ni = 10: lr = lr0 * lf(1) = 0.01 * ((1 - 1/2) * 0.99 + 0.01)
  assert.deepEqual(
    lrs[11].map((x) => +x.toFixed(8)),
    [0.00505, 0.00505, 0.00505],
  );
  trainer.dispose();
  model.dispose();
});

test("abort between steps and inside a step stops cleanly and frees the step's tensors", async () => {
  const model = new TinyLinear(2, 1);
  const baseline = tf.memory().numTensors;
  // between steps
  const c1 = new AbortController();
  const t1 = new Trainer({ model, data: regressionData(50, 8), epochs: 2, loss: mse, nbs: null, signal: c1.signal });
  let seen = 0;
  t1.on("batch", () => {
    if (++seen === 3) c1.abort();
  });
  let end: EndEvent | undefined;
  t1.on("end", (e) => (end = e));
  const r1 = await t1.fit();
  assert.equal(r1.aborted, true);
  assert.equal(seen, 3);
  assert.equal(end?.aborted, true);
  t1.dispose();
  assert.equal(tf.memory().numTensors, baseline);

  // inside a step: abort while the loss is being built; the next kernel throws, the tape is discarded
  const c2 = new AbortController();
  let calls = 0;
  const t2 = new Trainer({
    model,
    data: regressionData(50, 8),
    epochs: 1,
    nbs: null,
    signal: c2.signal,
    loss: (out, batch) => {
      if (++calls === 4) c2.abort();
      return mse(out, batch);
    },
  });
  const steps: number[] = [];
  t2.on("batch", (e) => steps.push(e.batch));
  const r2 = await t2.fit();
  assert.equal(r2.aborted, true);
  assert.deepEqual(steps, [0, 1, 2]);
  t2.dispose();
  assert.equal(tf.memory().numTensors, baseline);
  // the model is still usable
  const y = model.forward(tf.ones([1, 2]));
  assert.equal(Number.isFinite(y.dataSync()[0]), true);
  y.dispose();
  model.dispose();
});
