// The fused SiLU gradient (ops/silu.ts): on wasm one kernel (our SIMD pass, or the same
// arithmetic from stock kernels without it) against the op-by-op gradient on the cpu
// backend, on sizes with and without a tail of fewer than 4 values; elsewhere the composed op.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { siluGrad } from "../../src/tfjs/wasm-kernels/silu-grad";
import { silu, SILU_GRAD_KERNEL } from "../../src/toolkit/ops/silu";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";
import { randomArray } from "../helpers/random-array";
import { kernelCallsWithoutSimd } from "../helpers/without-simd";

/** silu(x) and d/dx sum(silu(x) * r), with `op` on the current backend. */
async function valueAndGradient(shape: number[], op: (x: tf.Tensor) => tf.Tensor): Promise<{ y: Float32Array; dx: Float32Array }> {
  const size = shape.reduce((a, b) => a * b);
  const x = tf.tensor(randomArray(size, 1, 8), shape),
    r = tf.tensor(randomArray(size, 2), shape);
  const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x);
  const y = op(x);
  const result = { y: (await y.data()) as Float32Array, dx: (await grad.data()) as Float32Array };
  tf.dispose([x, r, value, grad, y]);
  return result;
}
const composed = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));

before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
});

for (const shape of [
  [2, 6, 6, 4],
  [3, 5, 7, 3],
  [1, 1, 1, 3],
  [4, 20, 20, 16],
]) {
  test(`silu on wasm, ${shape.join("x")}: value and gradient match the composed op on cpu to 1e-4`, async () => {
    await tf.setBackend("cpu");
    const reference = await valueAndGradient(shape, composed);
    await tf.setBackend("wasm");
    assert.ok(tf.getKernel(SILU_GRAD_KERNEL, "wasm"), "the fused gradient is registered for wasm");
    const ours = await valueAndGradient(shape, silu);
    assertClose(ours.y, reference.y, "silu(x)");
    assertClose(ours.dx, reference.dx, "d silu");
  });
}

test("without our SIMD module the wasm kernel composes the same gradient from stock kernels", async () => {
  await tf.setBackend("wasm");
  const calls = kernelCallsWithoutSimd();
  const shape = [3, 5, 7, 3],
    size = 315;
  const [dy, x] = [tf.tensor(randomArray(size, 3), shape), tf.tensor(randomArray(size, 4, 8), shape)];
  const s = tf.sigmoid(x);
  const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  const out = siluGrad(calls, info(dy), info(x), info(s));
  const got = tf.engine().makeTensorFromDataId(out.dataId, out.shape, "float32");
  const expected = tf.tidy(() => tf.mul(tf.mul(dy, s), tf.add(1, tf.mul(x, tf.sub(1, s)))));
  assertClose((await got.data()) as Float32Array, (await expected.data()) as Float32Array, "composed fallback");
  tf.dispose([dy, x, s, got, expected]);
});

test("on a backend without the kernel (cpu) silu is the composed op", async () => {
  await tf.setBackend("cpu");
  assert.equal(tf.getKernel(SILU_GRAD_KERNEL, "cpu"), undefined);
  const a = await valueAndGradient([2, 3, 3, 4], silu),
    b = await valueAndGradient([2, 3, 3, 4], composed);
  assert.deepEqual(a, b);
  await tf.setBackend("wasm");
});
