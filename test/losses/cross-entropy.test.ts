import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, type CrossEntropyOptions } from "../../src/toolkit/losses";
import { assertAllClose, assertClose, assertPythonError, BACKENDS, finiteDifference, loadFixture, useBackend } from "./helpers";

const values = loadFixture("torch-loss-values.json").cross_entropy;
const errors = loadFixture("torch-error-texts.json");

function targetTensor(c: any): tf.Tensor {
  return c.target_kind === "ids" ? tf.tensor1d(c.target, "int32") : tf.tensor2d(c.target, values.shape);
}

function optionsOf(c: any): CrossEntropyOptions {
  const o = c.options;
  return { reduction: o.reduction, labelSmoothing: o.label_smoothing, weight: o.weight };
}

for (const backend of BACKENDS) {
  test(`crossEntropy equals PyTorch's F.cross_entropy on ${backend} (ids, probabilities, smoothing, weights, ignore_index, reductions)`, async () => {
    await useBackend(backend);
    const logits = tf.tensor2d(values.logits, values.shape);
    assert.ok(values.cases.length >= 20);
    for (const c of values.cases) {
      const out = crossEntropy(logits, targetTensor(c), optionsOf(c));
      const expected = Array.isArray(c.expected) ? c.expected : [c.expected];
      assert.equal(out.size, expected.length, c.name);
      assertAllClose(out.dataSync(), expected, 1e-5, c.name);
    }
  });
}

test("crossEntropy matches a hand computation: smoothed one-hot against two classes", async () => {
  await useBackend("cpu");
  // logits (0, ln 3): p = (1/4, 3/4); target class 1, ε = 0.2, C = 2 → t = (0.1, 0.9)
  const loss = crossEntropy(tf.tensor2d([[0, Math.log(3)]]), tf.tensor1d([1], "int32"), { labelSmoothing: 0.2 });
  const expected = -(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75));
  assertClose(loss.dataSync()[0], expected, 1e-6, "smoothed CE");
  assert.equal(loss.rank, 0);
});

test("crossEntropy raises PyTorch's errors with their names and texts (case 1)", async () => {
  await useBackend("cpu");
  const logits32x10 = tf.zeros([32, 10]);
  const ids = (n: number, v = 0) => tf.fill([n], v, "int32");
  assertPythonError(() => crossEntropy(logits32x10, ids(64)), errors.ce_batch_mismatch_long);
  assertPythonError(() => crossEntropy(logits32x10, tf.fill([64, 10], 0.1)), errors.ce_batch_mismatch_prob);
  assertPythonError(
    () => crossEntropy(tf.zeros([32, 2]), tf.oneHot(ids(32), 2).toFloat().reshape([-1])),
    errors.ce_batch_mismatch_flat_onehot,
  );
  assertPythonError(() => crossEntropy(logits32x10, ids(64), { labelSmoothing: 0.1 }), errors.ce_batch_mismatch_smoothing);
  assertPythonError(() => crossEntropy(logits32x10, tf.zeros([32])), errors.ce_float_class_ids);
  assertPythonError(() => crossEntropy(logits32x10, tf.zeros([32]), { labelSmoothing: 0.1 }), errors.ce_float_class_ids_smoothing);
  assertPythonError(() => crossEntropy(logits32x10, tf.ones([32], "bool")), errors.ce_bool_class_ids);
  assertPythonError(() => crossEntropy(logits32x10, ids(32, 12)), errors.ce_target_out_of_bounds);
  assertPythonError(() => crossEntropy(logits32x10, ids(32, -3)), errors.ce_target_negative);
  assertPythonError(() => crossEntropy(logits32x10, tf.zeros([32, 2])), errors.ce_multi_target);
  assertPythonError(() => crossEntropy(logits32x10, tf.zeros([32, 10], "int32")), errors.ce_prob_target_not_float);
  assertPythonError(() => crossEntropy(logits32x10, ids(32), { labelSmoothing: 1.5 }), errors.ce_label_smoothing_range);
  assertPythonError(() => crossEntropy(logits32x10, ids(32), { weight: [1, 1, 1, 1, 1] }), errors.ce_weight_shape_ids);
  assertPythonError(() => crossEntropy(logits32x10, tf.fill([32, 10], 0.1), { weight: [1, 1, 1, 1, 1] }), errors.ce_weight_shape_prob);
  assertPythonError(() => crossEntropy(logits32x10, ids(32), { reduction: "avg" as any }), errors.ce_bad_reduction);
  // and, like that torch, a negative smoothing is accepted
  assert.equal(errors._ce_negative_smoothing_accepted, true);
  assert.doesNotThrow(() => crossEntropy(logits32x10, ids(32), { labelSmoothing: -0.1 }));
});

test("the fixes of case 1 work: ids with labelSmoothing equal the hand-smoothed [B, C] soft target", async () => {
  await useBackend("cpu");
  const logits = tf.randomNormal([32, 10], 0, 1, "float32", 7);
  const y = tf.tensor1d(
    Array.from({ length: 32 }, (_, i) => i % 10),
    "int32",
  );
  const viaOption = crossEntropy(logits, y, { labelSmoothing: 0.1 }).dataSync()[0];
  const soft = tf.add(tf.mul(tf.oneHot(y, 10).toFloat(), 0.9), 0.01);
  const viaSoftTarget = crossEntropy(logits, soft).dataSync()[0];
  assertClose(viaOption, viaSoftTarget, 1e-6, "smoothing option vs soft target");
});

for (const backend of BACKENDS) {
  test(`crossEntropy gradient wrt logits matches finite differences on ${backend}`, async () => {
    await useBackend(backend);
    const logits = tf.tensor2d(values.logits, values.shape);
    const cases: [string, tf.Tensor, CrossEntropyOptions][] = [
      ["ids+smoothing+weight", tf.tensor1d([0, 4, 2, 2, 1, 3], "int32"), { labelSmoothing: 0.1, weight: [0.5, 1, 2, 1.5, 0.25] }],
      ["probabilities+smoothing", tf.softmax(tf.randomNormal(values.shape, 0, 1, "float32", 3)), { labelSmoothing: 0.2 }],
    ];
    for (const [name, target, opts] of cases) {
      const f = (x: tf.Tensor) => crossEntropy(x, target, opts);
      const grad = tf.grad(f)(logits).dataSync();
      assert.ok(grad.every(Number.isFinite), `${name}: finite gradient`);
      for (const index of [0, 7, 13, 29]) {
        const numeric = finiteDifference(f, logits, index, 1e-2);
        assert.ok(Math.abs(grad[index] - numeric) < 2e-3, `${name}[${index}]: analytic ${grad[index]} vs numeric ${numeric}`);
      }
    }
  });
}
