// A tiny conv net (strided conv, batch norm, depthwise conv) trains on wasm with the
// toolkit's gradient kernels: the loss falls.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

test("a small conv classifier trains on wasm", async () => {
  await switchBackend("wasm");
  const w1 = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 3, 8], 0, 0.3, "float32", 1));
  const gamma = tf.variable(tf.ones([8]));
  const beta = tf.variable(tf.zeros([8]));
  const dw = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 8, 1], 0, 0.3, "float32", 2));
  const w2 = tf.variable(tf.randomNormal<tf.Rank.R4>([1, 1, 8, 4], 0, 0.3, "float32", 3));
  const dense = tf.variable(tf.randomNormal([4, 2], 0, 0.3, "float32", 4));
  // Class 1 images are bright in the top half, class 0 in the bottom half.
  const labels = tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], "int32");
  const images = tf.tidy(() => {
    const rows = tf.range(0, 16).reshape([1, 16, 1, 1]).less(8).cast("float32");
    const top = tf.tile(rows, [8, 1, 16, 3]);
    const y = labels.cast("float32").reshape([8, 1, 1, 1]);
    const noise = tf.randomNormal([8, 16, 16, 3], 0, 0.2, "float32", 5);
    return tf.add(tf.add(tf.mul(top, y), tf.mul(tf.sub(1, top), tf.sub(1, y))), noise);
  });
  const onehot = tf.oneHot(labels, 2);
  const loss = () =>
    tf.tidy(() => {
      let h: tf.Tensor = tf.conv2d(images as tf.Tensor4D, w1, 2, "same");
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      h = tf.relu(tf.batchNorm(h, mean, variance, beta, gamma, 1e-3));
      h = tf.relu(tf.depthwiseConv2d(h as tf.Tensor4D, dw, 1, "same"));
      h = tf.conv2d(h as tf.Tensor4D, w2, 1, "valid");
      const logits = tf.matMul(tf.mean(h, [1, 2]), dense);
      return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
    });
  const optimizer = tf.train.sgd(0.2);
  const losses: number[] = [];
  let buffersAfterFirstStep = 0;
  for (let step = 0; step < 40; step++) {
    const l = optimizer.minimize(loss, true)!;
    losses.push(l.dataSync()[0]);
    l.dispose();
    if (step === 0) buffersAfterFirstStep = tf.engine().backend.numDataIds();
  }
  // The composed kernels free every intermediate buffer they make.
  assert.equal(tf.engine().backend.numDataIds(), buffersAfterFirstStep);
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss fell: ${losses[0]} -> ${losses[losses.length - 1]}`);
  tf.dispose([w1, gamma, beta, dw, w2, dense, labels, images, onehot]);
  optimizer.dispose();
});
