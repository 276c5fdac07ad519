// The broadcasting FusedBatchNorm gradient against the same function written with basic
// ops (whose stock gradients are independent of ours).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { registerBroadcastingBatchNormGradient } from "../../src/tfjs";

function gradsOf(f: (...t: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() =>
    tf
      .grads(f)(inputs)
      .map((g) => g.dataSync() as Float32Array),
  );
}

test("FusedBatchNorm gradient (batch statistics, as in training) matches the composed formula", async () => {
  await tf.setBackend("cpu");
  registerBroadcastingBatchNormGradient();
  const x = tf.randomNormal([3, 5, 4, 6], 0.5, 2, "float32", 7);
  const scale = tf.randomUniform([6], 0.5, 1.5, "float32", 8);
  const offset = tf.randomUniform([6], -1, 1, "float32", 9);
  const r = tf.randomNormal([3, 5, 4, 6], 0, 1, "float32", 10);
  const eps = 1e-3;
  const fused = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, o as tf.Tensor1D, s as tf.Tensor1D, eps), r));
  };
  const composed = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    const y = tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, eps))), s), o);
    return tf.sum(tf.mul(y, r));
  };
  const ours = gradsOf(fused, [x, scale, offset]);
  const reference = gradsOf(composed, [x, scale, offset]);
  ours.forEach((g, i) => {
    const worst = Math.max(...g.map((v, k) => Math.abs(v - reference[i][k])));
    assert.ok(worst < 1e-4, `input ${i}: max diff ${worst}`);
  });
  tf.dispose([x, scale, offset, r]);
});
