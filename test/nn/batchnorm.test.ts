// BatchNorm2d in PyTorch's semantics: batch statistics and a running-stat update in
// train mode (momentum m: running = (1-m)*running + m*batch, unbiased variance), running
// statistics in eval mode, and an update that works inside tf.variableGrads.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { BatchNorm2d, Conv, yolov5cls } from "../../src/toolkit/nn";

before(async () => {
  await switchBackend("wasm");
});

/** Per-channel mean, biased and unbiased variance of NHWC data, computed in plain JS. */
function channelStats(data: Float32Array, channels: number) {
  const n = data.length / channels;
  const mean = Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let i = c; i < data.length; i += channels) s += data[i];
    return s / n;
  });
  const ss = mean.map((m, c) => {
    let s = 0;
    for (let i = c; i < data.length; i += channels) s += (data[i] - m) ** 2;
    return s;
  });
  return { mean, biased: ss.map((s) => s / n), unbiased: ss.map((s) => s / (n - 1)) };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

test("train mode normalises with batch stats and moves the running stats by momentum", () => {
  const bn = new BatchNorm2d(4, 1e-3, 0.03);
  const x = tf.randomNormal([2, 3, 5, 4], 2, 3, "float32", 11) as tf.Tensor4D;
  const data = x.dataSync() as Float32Array;
  const { mean, biased, unbiased } = channelStats(data, 4);
  const y = bn.forward(x).dataSync();
  const expected = Array.from(data, (v, i) => (v - mean[i % 4]) / Math.sqrt(biased[i % 4] + 1e-3));
  assertClose(y, expected);
  assertClose(
    bn.runningMean.dataSync(),
    mean.map((m) => 0.03 * m),
  );
  assertClose(
    bn.runningVar.dataSync(),
    unbiased.map((v) => 0.97 + 0.03 * v),
  );
  tf.dispose(x);
  bn.dispose();
});

test("eval mode uses the running stats and leaves them alone", () => {
  const bn = new BatchNorm2d(3, 1e-5, 0.1);
  bn.runningMean.assign(tf.tensor1d([1, 2, 3]));
  bn.runningVar.assign(tf.tensor1d([4, 9, 16]));
  bn.eval();
  const x = tf.tensor4d([3, 2, 7, 5, 8, 3], [1, 1, 2, 3]);
  assertClose(bn.forward(x).dataSync(), [2 / Math.sqrt(4 + 1e-5), 0, 4 / Math.sqrt(16 + 1e-5), 4 / Math.sqrt(4 + 1e-5), 6 / 3, 0]);
  assertClose(bn.runningMean.dataSync(), [1, 2, 3]);
  assertClose(bn.runningVar.dataSync(), [4, 9, 16]);
  bn.dispose();
});

test("the running-stat update works inside tf.variableGrads and leaks nothing", () => {
  const conv = new Conv(3, 8, 3, 2);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const tensorsBefore = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(conv.forward(x))) as tf.Scalar, conv.parameters());
  assert.deepEqual(Object.keys(grads).length, 3);
  const mean = conv.bn.runningMean.dataSync();
  assert.ok(
    mean.some((v) => v !== 0),
    "running mean moved",
  );
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  // In eval mode nothing moves.
  conv.eval();
  const frozen = Array.from(conv.bn.runningVar.dataSync());
  tf.dispose(conv.forward(x));
  assert.deepEqual(Array.from(conv.bn.runningVar.dataSync()), frozen);
  tf.dispose(x);
  conv.dispose();
});

test("a batch of one 1x1 map cannot train BatchNorm (PyTorch's ValueError)", () => {
  const model = yolov5cls({ scale: "n", nc: 4 });
  assert.throws(() => tf.tidy(() => model.forward(tf.zeros([1, 32, 32, 3]))), {
    name: "ValueError",
    message: "Expected more than 1 value per channel when training, got input size torch.Size([1, 256, 1, 1])",
  });
  model.dispose();
});
