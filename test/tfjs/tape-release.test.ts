// The backward pass frees saved tensors and used gradients as it goes (src/tfjs/tape-release.ts):
// gradients are the same as TensorFlow.js's own, a training step's peak tensor bytes drop,
// nothing leaks, and the cases where a tensor must survive do: a custom gradient handing its
// dy through (to one input or to two), the caller's dy, nested gradients.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { TAPE_RELEASE_ENV_VAR } from "../../src/tfjs/tape-release";
import { batchNormTrain } from "../../src/toolkit/ops";
import { watchWasmHeap } from "../../src/tfjs/wasm-heap-watch";

before(async () => {
  await initBackend({ prefer: "wasm" });
});

/** A conv / batch norm / ReLU / residual / concat net, as a loss of its variables. */
function smallNet() {
  // In a tidy: the tensors the variables start from are freed.
  const [w1, w2, w3, gamma, beta] = tf.tidy(() => [
    tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, "float32", 1)),
    tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.3, "float32", 2)),
    tf.variable(tf.randomNormal([1, 1, 16, 4], 0, 0.3, "float32", 3)),
    tf.variable(tf.ones([8])),
    tf.variable(tf.zeros([8])),
  ]);
  const x = tf.randomNormal<tf.Rank.R4>([4, 16, 16, 3], 0, 1, "float32", 4);
  const loss = () => {
    const a = tf.relu(
      batchNormTrain(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same"), gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5).y,
    ) as tf.Tensor4D;
    const b = tf.add(a, tf.sigmoid(tf.conv2d(a, w2 as tf.Tensor4D, 1, "same"))) as tf.Tensor4D;
    const c = tf.conv2d(tf.concat([a, b], 3), w3 as tf.Tensor4D, 1, "valid");
    return tf.mean(tf.square(c)) as tf.Scalar;
  };
  return { vars: [w1, w2, w3, gamma, beta], loss, dispose: () => tf.dispose([w1, w2, w3, gamma, beta, x]) };
}

/** Gradients of the net and the step's peak bytes of buffers on the wasm heap above what was held before it. */
async function gradsAndPeak(): Promise<{ grads: Float32Array[]; peak: number }> {
  const net = smallNet();
  const watch = watchWasmHeap(tf.backend());
  let peak: number;
  try {
    const { value, grads: g } = tf.variableGrads(net.loss, net.vars);
    peak = watch.peak();
    const grads = await Promise.all(net.vars.map((v) => g[v.name].data() as Promise<Float32Array>));
    tf.dispose([value, ...Object.values(g)]);
    return { grads, peak };
  } finally {
    watch.stop();
    net.dispose();
  }
}

// The release is on by default (TFJS_LAB_TAPE_RELEASE=0 turns it off); these tests compare with it off.
process.env[TAPE_RELEASE_ENV_VAR] = "1";

/** Runs `f` with the release switched off (TensorFlow.js's behaviour): the wrapper reads the switch at each pass. */
async function withoutRelease<T>(f: () => Promise<T>): Promise<T> {
  process.env[TAPE_RELEASE_ENV_VAR] = "0";
  try {
    return await f();
  } finally {
    process.env[TAPE_RELEASE_ENV_VAR] = "1";
  }
}

test("gradients equal TensorFlow.js's own, the peak drops, and nothing leaks", async () => {
  await gradsAndPeak(); // the first pass also allocates what kernels keep (XNNPACK's operators)
  const t0 = tf.memory().numTensors;
  const released = await gradsAndPeak();
  const t1 = tf.memory().numTensors;
  const stock = await withoutRelease(gradsAndPeak);
  const t2 = tf.memory().numTensors;
  assert.equal(t1 - t0, t2 - t1, "the release leaves behind what TensorFlow.js does");
  assert.equal(t1, t0, "no tensor left behind");
  released.grads.forEach((g, i) => assert.deepEqual(g, stock.grads[i], `gradient ${i} bit for bit`));
  assert.ok(released.peak < 0.8 * stock.peak, `peak ${released.peak} bytes of heap with release, ${stock.peak} without`);
});

test("a custom gradient that hands dy through to two inputs keeps it for both; the caller's dy survives", () => {
  const handThrough = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [dy, dy] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const x = tf.tensor1d([1, 2, 3]),
    y = tf.tensor1d([4, 5, 6]);
  const dy = tf.tensor1d([1, 10, 100]);
  const tensorsBefore = tf.memory().numTensors;
  const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mul(handThrough(tf.exp(a), tf.square(b)) as tf.Tensor, 2))([x, y], dy);
  assert.deepEqual(
    Array.from(gx.dataSync()),
    [1, 2, 3].map((v, i) => 2 * [1, 10, 100][i] * Math.exp(v)).map((v) => Math.fround(v)),
  );
  assert.deepEqual(
    Array.from(gy.dataSync()),
    [4, 5, 6].map((v, i) => 2 * [1, 10, 100][i] * 2 * v),
  );
  assert.equal(dy.isDisposed, false, "the caller's dy is the caller's");
  assert.deepEqual(Array.from(dy.dataSync()), [1, 10, 100]);
  tf.dispose([gx, gy]);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  tf.dispose([x, y, dy]);
});

test("nested gradients (a gradient of a gradient) are right: the inner pass and the outer release nothing early", () => {
  const x = tf.scalar(1.5);
  // d/dx of (d/dx x^3) = 6x
  const second = tf.grad((a: tf.Tensor) => tf.grad((b: tf.Tensor) => tf.pow(b, 3))(a))(x);
  assert.ok(Math.abs(second.dataSync()[0] - 9) < 1e-5, `got ${second.dataSync()[0]}`);
  tf.dispose([x, second]);
});

test("an optimizer's minimize trains the same with and without the release", async () => {
  const run = async () => {
    const net = smallNet();
    const opt = tf.train.sgd(0.05);
    for (let i = 0; i < 3; i++) opt.minimize(net.loss, false, net.vars);
    const out = await Promise.all(net.vars.map((v) => v.data() as Promise<Float32Array>));
    opt.dispose();
    net.dispose();
    return out;
  };
  const released = await run();
  const stock = await withoutRelease(run);
  released.forEach((v, i) => assert.deepEqual(v, stock[i], `variable ${i} after 3 steps`));
});
