// Stop-and-resume writes the checkpoints one uninterrupted run writes: best fitness, the
// nominal-batch accumulation position and its summed gradients, and the DataLoader's
// shuffled order of each epoch all come back from last.ckpt, and so do ModelEMA's weights and count.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DataLoader } from "../../src/toolkit/data";
import { loadCheckpoint, ModelEMA, resetDeviceMemory, setMemoryBudget, Trainer } from "../../src/toolkit/train";
import { mse, TinyLinear } from "./tiny-models";

const EPOCHS = 5;
// Not monotonic: the best epoch (2) is followed by worse ones, which must not replace best.ckpt.
const SCORES = [0.3, 0.5, 0.9, 0.4, 0.6];

const dataset = {
  length: 24,
  get: (i: number) => ({ x: [Math.sin(i), Math.cos(3 * i)], y: [2 * Math.sin(i) - Math.cos(3 * i) + 0.5] }),
  collate: (items: { x: number[]; y: number[] }[]) => ({
    images: tf.tensor2d(items.map((t) => t.x)),
    targets: tf.tensor2d(items.map((t) => t.y)),
  }),
};

/** Trains from `resume` (or from scratch) and returns the bytes of last.ckpt and best.ckpt after each epoch it ran. */
async function train(
  dir: string,
  opts: { stopAfter?: number; resume?: boolean; ema?: boolean },
): Promise<{ epoch: number; last: string; best: string }[]> {
  const model = new TinyLinear(2, 1, opts.resume ? 9 : 1);
  const controller = new AbortController();
  const trainer = new Trainer({
    model,
    data: new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 3 }),
    epochs: EPOCHS,
    loss: mse,
    // 6 batches of 4 with nbs 16: an optimizer step every 4 batches, so sums cross epoch ends; warm-up crosses one too
    batchSize: 4,
    nbs: 16,
    warmupEpochs: 0,
    minWarmupIterations: 8,
    lr0: 0.05,
    clipGradNorm: null,
    validate: ({ epoch }) => ({ score: SCORES[epoch] }),
    fitness: (m) => m.score,
    checkpointDir: dir,
    resume: opts.resume ? path.join(dir, "last.ckpt") : undefined,
    signal: controller.signal,
    ema: opts.ema ? { copy: () => new TinyLinear(2, 1, 5), tau: 4 } : undefined,
  });
  const written: { epoch: number; last: string; best: string }[] = [];
  const hash = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
  trainer.on("epoch", (e) => {
    written.push({ epoch: e.epoch, last: hash("last.ckpt"), best: hash("best.ckpt") });
    if (e.epoch === opts.stopAfter) controller.abort();
  });
  await trainer.fit();
  trainer.dispose();
  model.dispose();
  return written;
}

for (const ema of [false, true])
  test(`stopping and resuming at every epoch writes the same last.ckpt and best.ckpt as one run${ema ? ", with ModelEMA" : ""}`, async () => {
    await tf.setBackend("cpu");
    resetDeviceMemory();
    setMemoryBudget(null);
    const baseline = tf.memory().numTensors;
    const oneRun = await train(fs.mkdtempSync(path.join(os.tmpdir(), "resume-one-")), { ema });
    assert.deepEqual(
      oneRun.map((w) => w.epoch),
      [0, 1, 2, 3, 4],
    );
    // best.ckpt is epoch 2's from then on
    assert.equal(oneRun[3].best, oneRun[2].best);
    assert.equal(oneRun[4].best, oneRun[2].best);
    for (let stop = 0; stop < EPOCHS - 1; stop++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `resume-${stop}-`));
      const first = await train(dir, { stopAfter: stop, ema });
      const rest = await train(dir, { resume: true, ema });
      const both = [...first, ...rest];
      assert.deepEqual(
        both.map((w) => w.epoch),
        [0, 1, 2, 3, 4],
        `stopped after epoch ${stop}`,
      );
      both.forEach((w, i) => {
        assert.ok(w.last === oneRun[i].last, `stopped after epoch ${stop}: last.ckpt of epoch ${i} differs from one run's`);
        assert.ok(w.best === oneRun[i].best, `stopped after epoch ${stop}: best.ckpt after epoch ${i} differs from one run's`);
      });
    }
    assert.equal(tf.memory().numTensors, baseline, "tensors left behind");
  });

test("the EMA's weights and update count are in the checkpoint; resuming without them starts the EMA from the resumed weights", async () => {
  await tf.setBackend("cpu");
  const baseline = tf.memory().numTensors;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "resume-ema-"));
  await train(dir, { ema: true, stopAfter: 1 });
  const model = new TinyLinear(2, 1, 9);
  const ema = new ModelEMA(model, { copy: () => new TinyLinear(2, 1, 5) });
  const info = loadCheckpoint(path.join(dir, "last.ckpt"), model, { ema });
  assert.equal(info.ema, true);
  tf.dispose(Object.values(info.trainer!.accumulated));
  // 2 epochs of 6 batches, warm-up over 8 iterations (accumulate 1,1,2,2,2,3,3,4, then 4): optimizer steps at ni 0, 1, 3, 6, 10
  assert.equal(ema.updates, 5);
  const [w] = ema.ema.parameters(),
    [m] = model.parameters();
  assert.notDeepEqual(Array.from(w.dataSync()), Array.from(m.dataSync()), "the EMA lags the model");
  ema.dispose();
  model.dispose();

  const plain = fs.mkdtempSync(path.join(os.tmpdir(), "resume-plain-"));
  await train(plain, { stopAfter: 0 });
  const m2 = new TinyLinear(2, 1, 9);
  const trainer = new Trainer({
    model: m2,
    data: [],
    epochs: 2,
    loss: mse,
    ema: { copy: () => new TinyLinear(2, 1, 5) },
    resume: path.join(plain, "last.ckpt"),
  });
  await trainer.fit();
  assert.equal(trainer.ema!.updates, 0);
  assert.deepEqual(Array.from(trainer.ema!.ema.parameters()[0].dataSync()), Array.from(m2.parameters()[0].dataSync()));
  trainer.dispose();
  m2.dispose();
  assert.equal(tf.memory().numTensors, baseline);
});
