import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint, saveCheckpoint, SGD, Trainer, yoloParamGroups } from "../../src/toolkit/train";
import { mse, regressionData, TinyLinear } from "./tiny-models";

const values = (v: tf.Tensor) => Array.from(v.dataSync());

test("checkpoint round trip: weights, optimizer state and epoch; written atomically", async () => {
  await tf.setBackend("cpu");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));
  const model = new TinyLinear(2, 2, 1);
  const trainer = new Trainer({
    model,
    data: regressionData(3, 4),
    epochs: 1,
    loss: (o, b) => mse(tf.slice(o as tf.Tensor, [0, 0], [-1, 1]), b),
    nbs: null,
  });
  await trainer.fit();
  const file = path.join(dir, "last.ckpt");
  await saveCheckpoint(file, model, { optimizer: trainer.optimizer, epoch: 7, meta: { note: "x" } });
  assert.deepEqual(fs.readdirSync(dir), ["last.ckpt"]); // no temp file left behind
  const w = values(model.weight),
    buf = trainer.optimizer.getState().slots.momentum_buffer.weight;
  const wantBuf = values(buf);

  const other = new TinyLinear(2, 2, 99);
  const opt = new SGD(yoloParamGroups(other.namedParameters(), { lr: 0.5, momentum: 0.5, weightDecay: 0 }), { nesterov: true });
  const info = loadCheckpoint(file, other, { optimizer: opt });
  assert.deepEqual(info, { epoch: 7, meta: { note: "x" } });
  assert.deepEqual(values(other.weight), w);
  assert.deepEqual(values(opt.getState().slots.momentum_buffer.weight), wantBuf);
  assert.equal(opt.stepCount, trainer.optimizer.stepCount);
  assert.equal(opt.paramGroups[1].lr, trainer.optimizer.paramGroups[1].lr);

  // overwriting keeps the file readable at every moment: the rename replaces it whole
  await saveCheckpoint(file, other, { epoch: 8 });
  assert.equal(loadCheckpoint(file, model).epoch, 8);
  trainer.dispose();
  opt.dispose();
  model.dispose();
  other.dispose();
});

test("loading into a different model reports missing, unexpected and mismatched names like PyTorch", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));
  const file = path.join(dir, "m.ckpt");
  const small = new TinyLinear(3, 2);
  await saveCheckpoint(file, small);
  const wide = new TinyLinear(4, 2);
  const before = values(wide.weight);
  assert.throws(
    () => loadCheckpoint(file, wide),
    (e: Error) => {
      assert.equal(e.name, "RuntimeError");
      assert.equal(
        e.message,
        "Error(s) in loading state_dict for TinyLinear:\n\tsize mismatch for weight: copying a param with shape torch.Size([3, 2]) from checkpoint, the shape in current model is torch.Size([4, 2]).",
      );
      return true;
    },
  );
  assert.deepEqual(values(wide.weight), before); // nothing assigned when anything mismatches

  class Renamed extends TinyLinear {}
  const renamed = new Renamed(3, 2);
  // a model whose parameter names differ: "gamma" where TinyLinear has "bias"
  const { Module } = await import("../../src/toolkit/nn/module");
  class Two extends Module {
    constructor() {
      super();
      this.param("weight", tf.zeros([3, 2]));
      this.param("gamma", tf.zeros([2]));
    }
    forward(x: tf.Tensor) {
      return x;
    }
  }
  const two = new Two();
  await saveCheckpoint(file, two);
  assert.throws(
    () => loadCheckpoint(file, renamed),
    /Error\(s\) in loading state_dict for Renamed:\n\tMissing key\(s\) in state_dict: "bias". \n\tUnexpected key\(s\) in state_dict: "gamma". /,
  );
  assert.doesNotThrow(() => loadCheckpoint(file, renamed, { strict: false }));
  assert.throws(() => loadCheckpoint(path.join(dir, "nope.ckpt"), renamed), /ENOENT/);
  fs.writeFileSync(path.join(dir, "junk.ckpt"), "hello world, not a checkpoint");
  assert.throws(() => loadCheckpoint(path.join(dir, "junk.ckpt"), renamed), /is not a tfjs-lab checkpoint/);
  small.dispose();
  wide.dispose();
  renamed.dispose();
  two.dispose();
});

test("the trainer writes last and best checkpoints and resumes from them", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));
  const model = new TinyLinear(2, 1);
  const t1 = new Trainer({ model, data: regressionData(5, 8), epochs: 2, loss: mse, nbs: null, checkpointDir: dir });
  await t1.fit();
  assert.deepEqual(fs.readdirSync(dir).sort(), ["best.ckpt", "last.ckpt"]);
  const model2 = new TinyLinear(2, 1, 5);
  const t2 = new Trainer({
    model: model2,
    data: regressionData(5, 8),
    epochs: 3,
    loss: mse,
    nbs: null,
    resume: path.join(dir, "last.ckpt"),
  });
  const epochsRun: number[] = [];
  t2.on("epoch", (e) => epochsRun.push(e.epoch));
  await t2.fit();
  assert.deepEqual(epochsRun, [2]);
  t1.dispose();
  t2.dispose();
  model.dispose();
  model2.dispose();
});
