// The fused training batch-norm gradient (ops/batchnorm-train.ts): on wasm one kernel (our two
// SIMD passes, or the same formulas from stock kernels) against autodiff through tf.moments and
// tf.batchNorm on the cpu backend, for x, gamma and beta; statistics and the value unchanged.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { batchNormTrainGrad } from "../../src/tfjs/wasm-kernels/batchnorm-train-grad";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";
import { batchNormTrain, BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL } from "../../src/toolkit/ops/batchnorm-train";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";
import { randomArray } from "../helpers/random-array";
import { kernelCallsWithoutSimd } from "../helpers/without-simd";

type Result = Record<"y" | "mean" | "variance" | "dx" | "dgamma" | "dbeta", Float32Array>;

/** The value, the statistics, and the gradients of sum(bn(x) * r) for x, gamma, beta. */
async function run(
  shape: [number, number, number, number],
  op: (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor },
): Promise<Result> {
  const size = shape.reduce((a, b) => a * b),
    c = shape[3];
  // An offset mean and a spread unlike 1, as real activations have.
  const x = tf.tensor4d(randomArray(size, 1, 6, 3), shape),
    r = tf.tensor(randomArray(size, 2), shape);
  const gamma = tf.tensor1d(randomArray(c, 3, 1, 1)),
    beta = tf.tensor1d(randomArray(c, 4));
  const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(op(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D).y, r)),
  )([x, gamma, beta]);
  const out = tf.tidy(() => op(x, gamma, beta));
  const result = Object.fromEntries(
    await Promise.all(Object.entries({ ...out, dx, dgamma, dbeta }).map(async ([k, t]) => [k, (await t.data()) as Float32Array])),
  ) as Result;
  tf.dispose([x, r, gamma, beta, dx, dgamma, dbeta, out.y, out.mean, out.variance]);
  return result;
}
const autodiff = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return { y: tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, 1e-3), mean, variance };
};
const fused = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => batchNormTrain(x, g, b, 1e-3);

before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
});

for (const shape of [
  [2, 5, 7, 16],
  [3, 4, 4, 4],
  [1, 3, 5, 20],
  [4, 9, 9, 3],
  [8, 40, 20, 64],
] as [number, number, number, number][]) {
  test(`batch norm (training) on wasm, ${shape.join("x")}: value, statistics and gradients match autodiff on cpu to 1e-4`, async () => {
    await tf.setBackend("cpu");
    const reference = await run(shape, autodiff);
    await tf.setBackend("wasm");
    assert.ok(tf.getKernel(BATCHNORM_TRAIN_GRAD_KERNEL, "wasm"));
    const ours = await run(shape, fused);
    for (const k of Object.keys(reference) as (keyof Result)[]) assertClose(ours[k], reference[k], k);
  });
}

test("without our SIMD module the wasm kernel gives the same gradients from stock kernels", async () => {
  await tf.setBackend("wasm");
  const calls = kernelCallsWithoutSimd();
  const withSimd = new KernelCalls(tf.backend() as unknown as KernelBackendLike, "wasm");
  const shape = [2, 5, 7, 16],
    size = 2 * 5 * 7 * 16;
  const x = tf.tensor(randomArray(size, 1, 6, 3), shape),
    dy = tf.tensor(randomArray(size, 2), shape);
  const gamma = tf.tensor1d(randomArray(16, 3, 1, 1));
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  const read = async (infos: tf.TensorInfo[]) =>
    Promise.all(
      infos.map(async (i) => {
        const t = tf.engine().makeTensorFromDataId(i.dataId, i.shape, "float32");
        const d = (await t.data()) as Float32Array;
        t.dispose();
        return d;
      }),
    );
  const a = await read(batchNormTrainGrad(calls, info(dy), info(x), info(gamma), info(mean), info(variance), 1e-3));
  const b = await read(batchNormTrainGrad(withSimd, info(dy), info(x), info(gamma), info(mean), info(variance), 1e-3));
  a.forEach((d, i) => assertClose(d, b[i], ["dx", "dgamma", "dbeta"][i]));
  tf.dispose([x, dy, gamma, mean, variance]);
});

for (const [order, shape] of [
  ["shuffled", [8, 40, 40, 16]],
  ["sorted by row", [8, 40, 40, 16]],
  ["shuffled", [3, 6, 7, 16]],
] as const)
  test(`statistics of activations far from zero (mean 1000, std 1), ${shape.join("x")} ${order}: mean to a float32 ulp, variance to 1e-4 of the float64 values`, async () => {
    await tf.setBackend("wasm");
    const channels = shape[3],
      rows = (shape[0] * shape[1] * shape[2]) as number;
    const values = randomArray(rows * channels, 5, Math.sqrt(12), 1000);
    // Sorted, the first rows are all far below the mean: a shift taken from them would not be near it.
    if (order === "sorted by row") values.sort();
    const x = tf.tensor4d(values, [...shape]);
    const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS_KERNEL, { x }) as unknown as tf.Tensor[];
    const [m, v] = [await mean.data(), await variance.data()];
    for (let c = 0; c < channels; c++) {
      let sum = 0,
        squares = 0;
      for (let r = 0; r < rows; r++) sum += values[r * channels + c];
      const exactMean = sum / rows;
      for (let r = 0; r < rows; r++) squares += (values[r * channels + c] - exactMean) ** 2;
      const exactVariance = squares / rows;
      // Within float32's rounding of the float64 mean: summing x itself in float32 blocks lost
      // several units in the last place (the shift K is taken out before summing).
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(exactMean))) - 23);
      assert.ok(Math.abs(m[c] - exactMean) <= ulp, `channel ${c}: mean ${m[c]} against ${exactMean} (one float32 ulp: ${ulp})`);
      assert.ok(Math.abs(v[c] - exactVariance) <= 1e-4 * exactVariance, `channel ${c}: variance ${v[c]} against ${exactVariance}`);
    }
    tf.dispose([x, mean, variance]);
  });
