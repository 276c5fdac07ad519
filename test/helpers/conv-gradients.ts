// The convolution gradient tests' common case: dx and dW of sum(conv(x, w) * r) for seeded
// x, w and r, through the same gradient functions training uses, on a given backend.
import * as tf from "@tensorflow/tfjs";
import { randomArray } from "./random-array";

export type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
/** co is the depthwise multiplier when the convolution is depthwise. */
export interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}

export async function convGradients(backend: string, c: ConvCase, depthwise = false): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
  const w = tf.tensor4d(randomArray(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]);
  const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => (depthwise ? tf.depthwiseConv2d(a, b, c.s, c.pad) : tf.conv2d(a, b, c.s, c.pad));
  const outShape = tf.tidy(() => conv(x, w).shape);
  const r = tf.tensor(
    randomArray(
      outShape.reduce((p, q) => p * q),
      3,
    ),
    outShape,
  );
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
  const result = { dx: (await dx.data()) as Float32Array, dw: (await dw.data()) as Float32Array };
  tf.dispose([x, w, r, dx, dw]);
  return result;
}

export const convCaseLabel = (c: ConvCase) => `n${c.n} ${c.h}x${c.w}x${c.ci}->${c.co} k${c.k} s${c.s} ${JSON.stringify(c.pad)}`;
