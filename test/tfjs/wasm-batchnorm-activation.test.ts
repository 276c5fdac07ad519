// Batch norm (training) with SiLU or ReLU fused (ops/batchnorm-train.ts with "silu" or
// "relu"; wasm-kernels/batchnorm-activation.ts): on wasm the value and the gradients for x,
// gamma and beta are the same bits as batch norm's kernels then the activation's, at channel
// counts that fill a SIMD group, that wrap inside one (4, 12, 20, 36), and that fall back to
// separate kernels (3, 10); and they agree with autodiff of the composed ops on the cpu
// backend. nn.Conv (SiLU) and ConvBNLayer (ReLU) use it in training and give the composed
// ops' values in eval mode.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import {
  BATCHNORM_ACTIVATION_KERNEL,
  BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL,
  type BatchNormActivation,
  batchNormTrain,
} from "../../src/toolkit/ops/batchnorm-train";
import { silu } from "../../src/toolkit/ops/silu";
import * as nn from "../../src/toolkit/nn";
import { assertClose, assertSameBits } from "../helpers/assert-close";
import { randomArray } from "../helpers/random-array";

type Shape = [number, number, number, number];
type Op = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor;
const NAMES = ["y", "dx", "dgamma", "dbeta"];

/** The value and the gradients of sum(op(x) * r) for x, gamma, beta. */
async function run(shape: Shape, op: Op): Promise<Float32Array[]> {
  const size = shape.reduce((a, b) => a * b),
    c = shape[3];
  const x = tf.tensor4d(randomArray(size, 1, 6, 3), shape),
    r = tf.tensor(randomArray(size, 2), shape);
  // Gammas of both signs and betas that push some channels deep into SiLU's tails.
  const gamma = tf.tensor1d(randomArray(c, 3, 4, 0.5)),
    beta = tf.tensor1d(randomArray(c, 4, 12));
  const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.mul(op(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), r))),
  )([x, gamma, beta]);
  const y = tf.tidy(() => op(x, gamma, beta));
  const out = (await Promise.all([y, dx, dgamma, dbeta].map((t) => t.data()))) as Float32Array[];
  tf.dispose([x, r, gamma, beta, y, dx, dgamma, dbeta]);
  return out;
}
/** Each activation: as the toolkit composes it, and as autodiff of stock ops on cpu. */
const ACTIVATIONS: Record<BatchNormActivation, { separate: (y: tf.Tensor) => tf.Tensor; composed: (z: tf.Tensor) => tf.Tensor }> = {
  silu: { separate: silu, composed: (z) => tf.mul(z, tf.sigmoid(z)) },
  relu: { separate: tf.relu, composed: tf.relu },
};
const fused =
  (activation: BatchNormActivation): Op =>
  (x, g, b) =>
    batchNormTrain(x, g, b, 1e-3, activation).y;
const separate =
  (activation: BatchNormActivation): Op =>
  (x, g, b) =>
    ACTIVATIONS[activation].separate(batchNormTrain(x, g, b, 1e-3).y);
const autodiff =
  (activation: BatchNormActivation): Op =>
  (x, g, b) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return ACTIVATIONS[activation].composed(tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, 1e-3));
  };

before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
});

const SHAPES: Shape[] = [
  [2, 5, 7, 16],
  [3, 4, 4, 4],
  [1, 3, 5, 20],
  [2, 17, 19, 36], // 646 rows: blocks of 256 rows and a short last one
  [1, 6, 6, 12],
  [4, 9, 9, 3],
  [2, 5, 5, 10],
  [8, 40, 20, 64],
];
for (const activation of ["silu", "relu"] as const) {
  for (const shape of SHAPES) {
    test(`batch norm + ${activation} fused on wasm, ${shape.join("x")}: the same bits as the separate kernels, and autodiff on cpu to 1e-4`, async () => {
      await tf.setBackend("wasm");
      assert.ok(tf.getKernel(BATCHNORM_ACTIVATION_KERNEL, "wasm") && tf.getKernel(BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL, "wasm"));
      const ours = await run(shape, fused(activation));
      const theirs = await run(shape, separate(activation));
      ours.forEach((v, i) => assertSameBits(v, theirs[i], `${NAMES[i]}, fused vs separate`));
      await tf.setBackend("cpu");
      const reference = await run(shape, autodiff(activation));
      await tf.setBackend("wasm");
      ours.forEach((v, i) => assertClose(v, reference[i], NAMES[i]));
    });
  }
}

test("an activation batch norm does not fuse is refused by name, on wasm and on cpu, before anything runs", async () => {
  for (const backend of ["wasm", "cpu"]) {
    await tf.setBackend(backend);
    const x = tf.ones([1, 2, 2, 4]) as tf.Tensor4D,
      g = tf.ones([4]) as tf.Tensor1D,
      b = tf.zeros([4]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    assert.throws(() => batchNormTrain(x, g, b, 1e-3, "gelu" as BatchNormActivation), /activation is "silu" or "relu", not "gelu"/);
    assert.equal(tf.memory().numTensors, before, backend);
    tf.dispose([x, g, b]);
  }
  await tf.setBackend("wasm");
});

test("the fused op leaves no tensor behind, forward or backward", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(randomArray(2 * 8 * 8 * 16, 9), [2, 8, 8, 16]);
  const gamma = tf.ones([16]) as tf.Tensor1D,
    beta = tf.zeros([16]) as tf.Tensor1D;
  const before = tf.memory().numTensors;
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => tf.sum(batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, "silu").y)),
  )([x, gamma, beta]);
  assert.equal(tf.memory().numTensors, before + 3);
  const reluGrads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => tf.sum(batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, "relu").y)),
  )([x, gamma, beta]);
  assert.equal(tf.memory().numTensors, before + 6);
  tf.dispose([x, gamma, beta, ...grads, ...reluGrads]);
});

const LAYERS: { name: string; activation: BatchNormActivation; make: () => nn.Conv | nn.ConvBNLayer }[] = [
  { name: "nn.Conv", activation: "silu", make: () => new nn.Conv(8, 16, 3, 1) },
  { name: "nn.ConvBNLayer", activation: "relu", make: () => new nn.ConvBNLayer(8, 3, 16, 1, 1) },
];
for (const { name, activation, make } of LAYERS) {
  test(`${name}: training runs the fused kernel and its gradient; eval mode gives ${activation}(batch norm) with the running statistics`, async () => {
    await tf.setBackend("wasm");
    const layer = make();
    const x = tf.tensor4d(randomArray(2 * 10 * 10 * 8, 10), [2, 10, 10, 8]);
    const seen = new Set<string>();
    const info = await tf.profile(() => {
      const grads = tf.variableGrads(() => tf.sum(layer.train().forward(x)) as tf.Scalar);
      tf.dispose(Object.values(grads.grads));
      grads.value.dispose();
    });
    for (const k of info.kernels) seen.add(k.name);
    assert.ok(seen.has(BATCHNORM_ACTIVATION_KERNEL) && seen.has(BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL), [...seen].join(", "));
    layer.eval();
    const y = layer.forward(x);
    const expected = tf.tidy(() => {
      const bn = layer.bn;
      const z = tf.batchNorm4d(
        layer.conv.forward(x),
        bn.runningMean as tf.Tensor1D,
        bn.runningVar as tf.Tensor1D,
        bn.bias as tf.Tensor1D,
        bn.weight as tf.Tensor1D,
        bn.eps,
      );
      return ACTIVATIONS[activation].composed(z);
    });
    assertClose((await y.data()) as Float32Array, (await expected.data()) as Float32Array, "eval");
    tf.dispose([x, y, expected]);
  });
}
