import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Module } from "../../src/toolkit/nn/module";
import { yolov5 } from "../../src/toolkit/nn/yolo";
import { ModelEMA, Trainer } from "../../src/toolkit/train";
import { mse, regressionData, TinyLinear } from "./tiny-models";

/** A weight and a buffer with values set by the test. */
class Pair extends Module {
  readonly w: tf.Variable;
  readonly stat: tf.Variable;
  constructor(w: number[], stat: number[]) {
    super();
    this.w = this.param("w", tf.tensor1d(w));
    this.stat = this.buffer("stat", tf.tensor1d(stat));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.w);
  }
}

const close = (got: ArrayLike<number>, want: number[], tol = 1e-6) =>
  assert.ok(
    want.every((w, i) => Math.abs(got[i] - w) <= tol * Math.max(1, Math.abs(w))),
    `${Array.from(got)} vs ${want}`,
  );

test("the decay ramps as YOLOv5's: d(n) = 0.9999 (1 - exp(-n / 2000))", () => {
  const ema = new ModelEMA(new Pair([1], [1]), { copy: () => new Pair([0], [0]) });
  // Known values of 0.9999 * (1 - exp(-n/2000)):
  close([ema.decay(1)], [4.99825e-4], 1e-5);
  close([ema.decay(2000)], [0.632057], 1e-5);
  close([ema.decay(20000)], [0.999855], 1e-5);
  assert.equal(ema.decay(0), 0);
  ema.dispose();
});

test("a copy first, then ema = d * ema + (1 - d) * model for parameters and buffers, counting updates", () => {
  const model = new Pair([1, 2], [10, 20]);
  const ema = new ModelEMA(model, { copy: () => new Pair([0, 0], [0, 0]) });
  const e = ema.ema as Pair;
  close(e.w.dataSync(), [1, 2]);
  close(e.stat.dataSync(), [10, 20]);
  assert.notEqual(e.w.dataId, model.w.dataId, "the EMA has buffers of its own");
  assert.equal(e.training, false);
  model.w.assign(tf.tensor1d([3, 6]));
  model.stat.assign(tf.tensor1d([0, 0]));
  ema.update();
  const d1 = 0.9999 * (1 - Math.exp(-1 / 2000));
  close(e.w.dataSync(), [d1 * 1 + (1 - d1) * 3, d1 * 2 + (1 - d1) * 6]);
  close(e.stat.dataSync(), [d1 * 10, d1 * 20]);
  ema.update();
  const d2 = 0.9999 * (1 - Math.exp(-2 / 2000));
  const w1 = d1 * 1 + (1 - d1) * 3;
  close(e.w.dataSync(), [d2 * w1 + (1 - d2) * 3, 2 * (d2 * w1 + (1 - d2) * 3)]);
  assert.equal(ema.updates, 2);
  // A resumed count and other constants: d(101) with tau 100, decay 0.5.
  const resumed = new ModelEMA(model, { copy: () => new Pair([0, 0], [0, 0]), updates: 100, decay: 0.5, tau: 100 });
  resumed.update();
  assert.equal(resumed.updates, 101);
  close([resumed.decay(101)], [0.5 * (1 - Math.exp(-1.01))]);
  for (const m of [ema, resumed]) m.dispose();
  model.dispose();
});

test("a YOLOv5 is copied from its own yaml; another module without `copy` or a different copy is an error that says what to pass", () => {
  const model = yolov5({ scale: "n", nc: 3 });
  const before = tf.memory().numTensors;
  const ema = new ModelEMA(model);
  assert.equal(tf.memory().numTensors - before, model.namedParameters().length + model.namedBuffers().length);
  assert.equal(ema.ema.numParams(), model.numParams());
  const [name, p] = model.namedParameters()[5];
  const q = new Map(ema.ema.namedParameters()).get(name)!;
  assert.deepEqual(Array.from(q.dataSync()), Array.from(p.dataSync()));
  ema.dispose();
  model.dispose();
  const tiny = new TinyLinear(2, 1);
  assert.throws(() => new ModelEMA(tiny), /cannot copy a TinyLinear by itself: pass \{ copy: \(\) => new TinyLinear\(\.\.\.\) \}/);
  assert.throws(
    () => new ModelEMA(tiny, { copy: () => new TinyLinear(3, 1) }),
    /'weight' is float32 \[2,1\] in the model but float32 \[3,1\] in the copy/,
  );
  tiny.dispose();
});

test("Trainer with ema: one update per optimizer step, validation sees the EMA, everything freed by dispose", async () => {
  await tf.setBackend("cpu");
  const baseline = tf.memory().numTensors;
  const model = new TinyLinear(2, 1);
  const validated: Module[] = [];
  const trainer = new Trainer({
    model,
    data: regressionData(6, 8),
    epochs: 2,
    loss: mse,
    batchSize: 8,
    nbs: 16,
    warmupEpochs: 0,
    minWarmupIterations: 0,
    ema: { copy: () => new TinyLinear(2, 1, 7) },
    validate: ({ model: m }) => {
      validated.push(m);
      return {};
    },
  });
  let steps = 0;
  trainer.on("batch", (e) => {
    if (e.optimizerStep) steps++;
  });
  await trainer.fit();
  assert.ok(steps > 0);
  assert.equal(trainer.ema!.updates, steps);
  assert.deepEqual(validated, [trainer.ema!.ema, trainer.ema!.ema]);
  // After a few updates at a tiny decay the EMA is close to, but not the same as, the model.
  const gap = Math.abs(trainer.ema!.ema.parameters()[0].dataSync()[0] - model.weight.dataSync()[0]);
  assert.ok(gap > 0 && gap < 0.05, `gap ${gap}`);
  trainer.dispose();
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline);
});
