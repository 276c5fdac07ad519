// SiLU and its gradient (ops/silu.ts): on wasm one kernel each (our SIMD passes, which
// compute sigmoid themselves, or the same arithmetic from stock kernels without them)
// against the composed op differentiated op by op on the cpu backend, on sizes with and
// without a tail of fewer than 4 values, and at the values where sigmoid saturates or is
// not finite; elsewhere the composed op.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { silu as siluKernel, siluGrad } from "../../src/tfjs/wasm-kernels/silu";
import { silu, SILU_GRAD_KERNEL, SILU_KERNEL } from "../../src/toolkit/ops/silu";
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
    assert.ok(tf.getKernel(SILU_KERNEL, "wasm") && tf.getKernel(SILU_GRAD_KERNEL, "wasm"), "the fused kernels are registered for wasm");
    const ours = await valueAndGradient(shape, silu);
    assertClose(ours.y, reference.y, "silu(x)");
    assertClose(ours.dx, reference.dx, "d silu");
  });
}

/** Each value of `x` through the fused kernels on wasm and through the composed op on cpu. */
async function fusedAndComposed(
  x: Float32Array,
): Promise<{ ours: { y: Float32Array; dx: Float32Array }; reference: { y: Float32Array; dx: Float32Array } }> {
  const run = async (op: (x: tf.Tensor) => tf.Tensor) => {
    const input = tf.tensor1d(x);
    const { grad } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(op(a)))(input);
    const y = op(input);
    const out = { y: (await y.data()) as Float32Array, dx: (await grad.data()) as Float32Array };
    tf.dispose([input, grad, y]);
    return out;
  };
  await tf.setBackend("cpu");
  const reference = await run(composed);
  await tf.setBackend("wasm");
  return { ours: await run(silu), reference };
}

test("silu on wasm: within 4 ulps of the exact value across float32's range, in each of the kernels' three loops", async (t) => {
  // Every magnitude from 2^-20 to 2^7 (where exp(-x) leaves float32), both signs. 4,115
  // values: 128 rounds of 8 interleaved vectors, 4 single vectors, 3 in the scalar tail.
  const x = Float32Array.from({ length: 4115 }, (_, i) => (i % 2 ? -1 : 1) * 2 ** (-20 + (27 * i) / 4114));
  const { ours, reference } = await fusedAndComposed(x);
  // The exact value, and the scale its float32 error is measured against: |y| for y; for
  // dx = s (1 + x (1 - s)), PyTorch's formula and ours, s (1 + |x|): it crosses 0 near
  // x = -1.28, and 1 - s is rounded at the scale of 1.
  const exact = (v: number) => {
    const s = 1 / (1 + Math.exp(-v));
    return { y: { want: v * s, scale: Math.abs(v * s) }, dx: { want: s * (1 + v * (1 - s)), scale: s * (1 + Math.abs(v)) } };
  };
  // In ulps of the scale; past x = -87 the values are subnormal, and an absolute 2^-120 counts as equal.
  const ulps = (got: number, { want, scale }: { want: number; scale: number }) => {
    const err = Math.abs(got - want);
    return err <= 2 ** -120 ? 0 : err / 2 ** (Math.floor(Math.log2(scale)) - 23);
  };
  const worst = { y: 0, dx: 0, composedY: 0, composedDx: 0 };
  for (let i = 0; i < x.length; i++) {
    const e = exact(x[i]);
    for (const [key, got, want] of [
      ["y", ours.y[i], e.y],
      ["dx", ours.dx[i], e.dx],
      ["composedY", reference.y[i], e.y],
      ["composedDx", reference.dx[i], e.dx],
    ] as const) {
      worst[key] = Math.max(worst[key], ulps(got, want));
      if (key === "y" || key === "dx") assert.ok(ulps(got, want) <= 4, `${key} at x = ${x[i]}: ${got}, exactly ${want.want}`);
    }
  }
  t.diagnostic(
    `largest error in ulps: ours y ${worst.y.toFixed(2)}, dx ${worst.dx.toFixed(2)}; composed on cpu y ${worst.composedY.toFixed(2)}, dx ${worst.composedDx.toFixed(2)}`,
  );
});

test("silu on wasm where sigmoid saturates or x is not finite: what the composed op gives", async () => {
  const x = Float32Array.from([100, -100, 88.5, -88.5, 89, -89, 1e30, -1e30, Infinity, -Infinity, Number.NaN, 0, -0]);
  const { ours, reference } = await fusedAndComposed(x);
  for (let i = 0; i < x.length; i++) {
    // Tiny results (|y| < 1e-30, where the composed op gives denormals or signed zeros) count as equal.
    const same = (a: number, b: number) => Object.is(a, b) || (Math.abs(a) < 1e-30 && Math.abs(b) < 1e-30);
    assert.ok(same(ours.y[i], reference.y[i]), `silu(${x[i]}) = ${ours.y[i]}, composed ${reference.y[i]}`);
    assert.ok(same(ours.dx[i], reference.dx[i]), `silu'(${x[i]}) = ${ours.dx[i]}, composed ${reference.dx[i]}`);
  }
});

test("without our SIMD module the wasm kernels compose the same values from stock kernels", async () => {
  await tf.setBackend("wasm");
  const calls = kernelCallsWithoutSimd();
  const shape = [3, 5, 7, 3],
    size = 315;
  const [dy, x] = [tf.tensor(randomArray(size, 3), shape), tf.tensor(randomArray(size, 4, 8), shape)];
  const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  const asTensor = (out: tf.TensorInfo) => tf.engine().makeTensorFromDataId(out.dataId, out.shape, "float32");
  const y = asTensor(siluKernel(calls, info(x)));
  const dx = asTensor(siluGrad(calls, info(dy), info(x)));
  const [expectedY, expectedDx] = tf.tidy(() => {
    const s = tf.sigmoid(x);
    return [tf.mul(x, s), tf.mul(tf.mul(dy, s), tf.add(1, tf.mul(x, tf.sub(1, s))))];
  });
  assertClose((await y.data()) as Float32Array, (await expectedY.data()) as Float32Array, "composed forward");
  assertClose((await dx.data()) as Float32Array, (await expectedDx.data()) as Float32Array, "composed gradient");
  tf.dispose([dy, x, y, dx, expectedY, expectedDx]);
});

test("on a backend without the kernel (cpu) silu is the composed op", async () => {
  await tf.setBackend("cpu");
  assert.equal(tf.getKernel(SILU_KERNEL, "cpu"), undefined);
  assert.equal(tf.getKernel(SILU_GRAD_KERNEL, "cpu"), undefined);
  const a = await valueAndGradient([2, 3, 3, 4], silu),
    b = await valueAndGradient([2, 3, 3, 4], composed);
  assert.deepEqual(a, b);
  await tf.setBackend("wasm");
});
