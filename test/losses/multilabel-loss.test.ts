import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { multiLabelLoss, type MultiLabelLossOptions } from "../../src/toolkit/losses";
import { assertClose, assertPythonError, BACKENDS, finiteDifference, loadFixture, useBackend } from "./helpers";

// PaddleClas's MultiLabelLoss written line by line in torch (test/losses/make_torch_fixtures.py)
const values = loadFixture("torch-loss-values.json").multilabel;

function optionsOf(o: any): MultiLabelLossOptions {
  return { epsilon: o.epsilon, sizeSum: o.size_sum, weightRatio: o.weight_ratio, version: o.version };
}

for (const backend of BACKENDS) {
  test(`multiLabelLoss equals PaddleClas's MultiLabelLoss (epsilon, weight_ratio, size_sum, [B,1,C]) on ${backend}`, async () => {
    await useBackend(backend);
    const logits = tf.tensor2d(values.logits, values.shape);
    for (const c of values.cases) {
      const loss = multiLabelLoss(logits, tf.tensor(c.target), optionsOf(c.options));
      assert.equal(loss.rank, 0, c.name);
      assertClose(loss.dataSync()[0], c.expected, 1e-5, c.name);
    }
  });
}

test("multiLabelLoss matches a hand computation", async () => {
  await useBackend("cpu");
  // x = 0 for every entry: BCE = ln 2 whatever the label, so only the weights matter.
  // Labels [[1, 0], [0, 1]], ratios r = [[0.2, 0.4], [0.2, 0.4]]:
  // weights e^(1-0.2), e^0.4 (row 0) and e^0.2, e^(1-0.4) (row 1).
  const labels = [
    [1, 0],
    [0, 1],
  ];
  const ratio = [
    [0.2, 0.4],
    [0.2, 0.4],
  ];
  const target = tf.tensor3d(labels.map((row, i) => [row, ratio[i]]));
  const w = [Math.exp(0.8), Math.exp(0.4), Math.exp(0.2), Math.exp(0.6)];
  const ln2 = Math.log(2);
  const logits = tf.zeros([2, 2]);
  const mean = multiLabelLoss(logits, target, { weightRatio: true }).dataSync()[0];
  assertClose(mean, (ln2 * w.reduce((a, b) => a + b)) / 4, 1e-6, "element mean");
  const sizeSum = multiLabelLoss(logits, target, { weightRatio: true, sizeSum: true }).dataSync()[0];
  assertClose(sizeSum, (ln2 * w.reduce((a, b) => a + b)) / 2, 1e-6, "per-sample sum, batch mean");
  // ε = 0.5 smoothing on x = 2: y ∈ {1, 0} → 0.75, 0.25; BCE = softplus(2) − 2y
  const smoothed = multiLabelLoss(tf.fill([1, 2], 2), tf.tensor2d([[1, 0]]), { epsilon: 0.5 }).dataSync()[0];
  const sp = Math.log1p(Math.exp(2));
  assertClose(smoothed, (sp - 1.5 + (sp - 0.5)) / 2, 1e-6, "smoothing");
});

test("PaddleClas 2.5.2 fails on plain [B, 33] multi-hot targets with Paddle's error and works on [B, 1, 33] (case 5)", async () => {
  await useBackend("cpu");
  const logits = tf.randomNormal([8, 33], 0, 1, "float32", 5);
  const multiHot = tf.cast(tf.greater(tf.randomUniform([8, 33], 0, 1, "float32", 6), 0.7), "float32");
  const paddleError = { name: "ValueError", message: "Too many indices (3) for tensor of dimension 2." };
  assertPythonError(() => multiLabelLoss(logits, multiHot, { version: "2.5.2" }), paddleError);
  assertPythonError(() => multiLabelLoss(logits, multiHot, { weightRatio: true }), paddleError);
  const fixed = multiLabelLoss(logits, multiHot).dataSync()[0];
  const old3d = multiLabelLoss(logits, tf.expandDims(multiHot, 1), { version: "2.5.2" }).dataSync()[0];
  assertClose(old3d, fixed, 1e-7, "2.5.2 on [B,1,C] equals the fixed loss on [B,C]");
});

test("multiLabelLoss gradient wrt logits is finite and matches finite differences", async () => {
  await useBackend("cpu");
  const logits = tf.tensor2d(values.logits, values.shape);
  const c = values.cases.find((k: any) => k.name === "weight_ratio_eps_size_sum");
  const target = tf.tensor(c.target);
  const f = (x: tf.Tensor) => multiLabelLoss(x, target, optionsOf(c.options));
  const grad = tf.grad(f)(logits).dataSync();
  assert.ok(grad.every(Number.isFinite));
  for (const index of [0, 5, 11, 17]) {
    assertClose(grad[index], finiteDifference(f, logits, index, 1e-2), 1e-2, `grad[${index}]`);
  }
});
