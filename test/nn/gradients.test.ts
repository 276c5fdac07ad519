// Every trainable parameter of every model gets a finite, non-zero gradient from a tiny
// loss (wasm with the toolkit's gradient kernels), and the classifiers' shapes and sizes.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import type { Module } from "../../src/toolkit/nn/module";
import { yolov5, yolov5cls, mobilenetV1, smallCnn, manualSeed } from "../../src/toolkit/nn";

before(async () => {
  await switchBackend("wasm");
  manualSeed(1);
});

/** Checks that d(loss)/d(p) exists, is finite and is not all zero for every parameter. */
function assertAllGradients(model: Module, loss: () => tf.Scalar): void {
  const named = model.namedParameters();
  const { value, grads } = tf.variableGrads(
    loss,
    named.map(([, p]) => p),
  );
  assert.ok(Number.isFinite(value.dataSync()[0]));
  for (const [name, p] of named) {
    const g = grads[p.name];
    assert.ok(g, `no gradient for ${name}`);
    assert.deepEqual(g.shape, p.shape, name);
    const data = g.dataSync();
    assert.ok(data.every(Number.isFinite), `non-finite gradient for ${name}`);
    assert.ok(
      data.some((v) => v !== 0),
      `zero gradient for ${name}`,
    );
  }
  tf.dispose([value, ...Object.values(grads)]);
}

test("yolov5n (nc=3): gradients reach every parameter through all three maps", () => {
  const model = yolov5({ scale: "n", nc: 3 });
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  assertAllGradients(model, () => {
    const maps = model.forward(x) as tf.Tensor[];
    return tf.addN(maps.map((m) => tf.mean(tf.square(m)))) as tf.Scalar;
  });
  tf.dispose(x);
  model.dispose();
});

test("yolov5n-cls: logits [bs, nc], 2.5M parameters at nc=1000, gradients everywhere", () => {
  const big = yolov5cls({ scale: "n", nc: 1000 });
  assert.equal(big.numParams(), 2_493_000);
  big.dispose();
  const model = yolov5cls({ scale: "n", nc: 5 });
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  model.eval();
  const out = model.forward(x);
  assert.deepEqual(out.shape, [2, 5]);
  out.dispose();
  model.train();
  const target = tf.oneHot(tf.tensor1d([1, 4], "int32"), 5);
  assertAllGradients(model, () => tf.losses.softmaxCrossEntropy(target, model.forward(x)) as tf.Scalar);
  tf.dispose([x, target]);
  model.dispose();
});

test("MobileNetV1 (PaddleClas): 4,231,976 parameters at 1000 classes; multi-label head of 33 trains", () => {
  const full = mobilenetV1({ nc: 1000 });
  assert.equal(full.numParams(), 4_231_976);
  full.dispose();
  const model = mobilenetV1({ nc: 33, scale: 0.25 });
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const target = tf.randomUniform([2, 33], 0, 1, "float32", 5).round();
  assertAllGradients(model, () => {
    const logits = model.forward(x);
    assert.deepEqual(logits.shape, [2, 33]);
    return tf.losses.sigmoidCrossEntropy(target, logits) as tf.Scalar;
  });
  tf.dispose([x, target]);
  model.dispose();
});

test("smallCnn: conv-BN-ReLU-pool stages, gradients everywhere", () => {
  const model = smallCnn({ nc: 4, channels: [8, 16] });
  assert.equal(model.numParams(), 3 * 9 * 8 + 16 + 8 * 9 * 16 + 32 + 16 * 4 + 4);
  const x = tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 6) as tf.Tensor4D;
  const target = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 4);
  assertAllGradients(model, () => tf.losses.softmaxCrossEntropy(target, model.forward(x)) as tf.Scalar);
  tf.dispose([x, target]);
  model.dispose();
});
