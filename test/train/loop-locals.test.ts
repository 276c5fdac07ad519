import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Trainer } from "../../src/toolkit/train";
import { regressionData, TinyLinear } from "./tiny-models";

test("keepLoopLocals keeps train.py's locals (last batch, pred, loss, loss items) through validation and after fit, until dispose", async () => {
  await tf.setBackend("cpu");
  const baseline = tf.memory().numTensors;
  const model = new TinyLinear(2, 1);
  const loss = (out: unknown, b: { targets: tf.Tensor }) => {
    const err = tf.sub(out as tf.Tensor, b.targets);
    return { loss: tf.mean(tf.square(err)) as tf.Scalar, items: { l1: tf.mean(tf.abs(err)) } };
  };
  const run = async (keepLoopLocals: boolean) => {
    const trainer = new Trainer({
      model,
      data: regressionData(3, 8),
      epochs: 2,
      loss,
      nbs: null,
      keepLoopLocals,
      validate: () => ({ live: tf.memory().numTensors }),
    });
    const r = await trainer.fit();
    const afterFit = tf.memory().numTensors;
    trainer.dispose();
    return { live: r.epochs.map((e) => e.metrics.live), afterFit, afterDispose: tf.memory().numTensors };
  };
  const plain = await run(false),
    kept = await run(true);
  // images + targets, pred, loss, loss items: 5 more tensors alive while validation runs, and after fit.
  assert.deepEqual(
    kept.live.map((n, i) => n - plain.live[i]),
    [5, 5],
  );
  assert.equal(kept.afterFit - plain.afterFit, 5);
  assert.equal(kept.afterDispose, plain.afterDispose);
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline);
});
