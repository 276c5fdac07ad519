// Inputs or outputs of no elements (src/tfjs/empty-shapes.ts), for each backend's test file:
// a pooling window or a filter larger than the image with "valid" padding, an empty batch, a
// reduction or a transpose of an empty tensor. Each gives what the cpu backend gives (shape
// and values, gradients included), and the backend still runs a convolution and a reduction
// after it: before the guards, on wasm MaxPool trapped and left every later kernel failing, a
// valid convolution wrote out of bounds and its filter gradient never returned; on webgpu the
// gradients failed in createBuffer.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { EMPTY_SHAPE_GUARDED_KERNELS } from "../../src/tfjs/empty-shapes";

const ones = (shape: number[]): tf.Tensor4D => {
  const t: tf.Tensor = tf.fill(shape, 1);
  return t as tf.Tensor4D;
};
const sumOf = (f: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => tf.sum(f(x));

/** Each case: what it computes from fresh tensors; the kernels it reaches with an empty shape. */
const CASES: { label: string; kernels: string[]; run: () => tf.Tensor }[] = [
  { label: "maxPool 3x3/2 valid over a width of 1", kernels: ["MaxPool"], run: () => tf.maxPool(ones([2, 7, 1, 13]), 3, 2, "valid") },
  { label: "avgPool 3x3/2 valid over a width of 1", kernels: ["AvgPool"], run: () => tf.avgPool(ones([2, 7, 1, 13]), 3, 2, "valid") },
  {
    label: "maxPool's gradient with an empty output",
    kernels: ["MaxPool", "MaxPoolGrad"],
    run: () => tf.grad(sumOf((x) => tf.maxPool(x as tf.Tensor4D, 3, 2, "valid")))(ones([2, 7, 1, 13])),
  },
  {
    label: "avgPool's gradient with an empty output",
    kernels: ["AvgPool", "AvgPoolGrad"],
    run: () => tf.grad(sumOf((x) => tf.avgPool(x as tf.Tensor4D, 3, 2, "valid")))(ones([2, 7, 1, 13])),
  },
  { label: "maxPool of an empty batch", kernels: ["MaxPool"], run: () => tf.maxPool(ones([0, 7, 7, 4]), 3, 1, "same") },
  {
    label: "conv2d 3x3 valid over 2x2",
    kernels: ["Conv2D"],
    run: () => tf.conv2d(ones([2, 2, 2, 4]) as tf.Tensor4D, ones([3, 3, 4, 8]) as tf.Tensor4D, 1, "valid"),
  },
  {
    label: "conv2d 3x3 valid over 2x2: filter gradient",
    kernels: ["Conv2D", "Conv2DBackpropFilter"],
    run: () =>
      tf.grads((x, w) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")))([ones([2, 2, 2, 4]), ones([3, 3, 4, 8])])[1],
  },
  {
    label: "conv2d 3x3 valid over 2x2: input gradient",
    kernels: ["Conv2D", "Conv2DBackpropInput"],
    run: () =>
      tf.grads((x, w) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")))([ones([2, 2, 2, 4]), ones([3, 3, 4, 8])])[0],
  },
  {
    label: "conv2d of an empty batch: filter gradient",
    kernels: ["Conv2D", "Conv2DBackpropFilter"],
    run: () =>
      tf.grads((x, w) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same")))([ones([0, 8, 8, 4]), ones([3, 3, 4, 8])])[1],
  },
  {
    label: "conv2d over no input channels",
    kernels: ["Conv2D"],
    run: () => tf.conv2d(ones([1, 8, 8, 0]) as tf.Tensor4D, ones([3, 3, 0, 8]) as tf.Tensor4D, 1, "same"),
  },
  {
    label: "depthwise 3x3 valid over 2x2",
    kernels: ["DepthwiseConv2dNative"],
    run: () => tf.depthwiseConv2d(ones([1, 2, 2, 4]) as tf.Tensor4D, ones([3, 3, 4, 1]) as tf.Tensor4D, 1, "valid"),
  },
  { label: "sum over an empty axis", kernels: ["Sum"], run: () => tf.sum(ones([0, 4, 4, 3]), [0, 1, 2]) },
  {
    label: "mean over an empty batch (0, as the cpu backend has it)",
    kernels: ["Mean"],
    run: () => tf.mean(ones([0, 4, 4, 3]), [0, 1, 2], true),
  },
  { label: "transpose of an empty tensor", kernels: ["Transpose"], run: () => tf.transpose(ones([0, 3, 4, 5]), [0, 3, 1, 2]) },
  { label: "transpose of an empty int32 tensor", kernels: ["Transpose"], run: () => tf.transpose(tf.zeros([2, 0, 3], "int32"), [2, 0, 1]) },
];

async function valuesOn(backend: string, run: () => tf.Tensor): Promise<{ shape: number[]; dtype: string; values: number[] }> {
  await switchBackend(backend);
  const t = tf.tidy(run);
  const out = { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}

/** A convolution and a reduction on `backend`: what failed after a trap. */
async function backendStillRuns(backend: string): Promise<void> {
  await switchBackend(backend);
  const y = tf.tidy(() => tf.sum(tf.conv2d(tf.ones([2, 8, 8, 16]) as tf.Tensor4D, tf.ones([3, 3, 16, 8]) as tf.Tensor4D, 1, "valid")));
  assert.equal((await y.data())[0], 2 * 6 * 6 * 8 * 3 * 3 * 16);
  y.dispose();
}

/** The cases as tests on `backend` (started by the caller's before()). */
export function emptyShapeTests(backend: string, label: string): void {
  for (const c of CASES) {
    test(`${label}: ${c.label} gives the cpu backend's answer, and the backend runs on`, async () => {
      const expected = await valuesOn("cpu", c.run);
      const got = await valuesOn(backend, c.run);
      assert.deepEqual(got, expected);
      await backendStillRuns(backend);
    });
  }
  test(`${label}: every kernel the cases reach with an empty shape is guarded, and every guard is reached by a case`, () => {
    const reached = new Set(CASES.flatMap((c) => c.kernels));
    assert.deepEqual([...reached].sort(), [...EMPTY_SHAPE_GUARDED_KERNELS].sort());
  });
}
