// ResizeNearestNeighborGrad on wasm (JS over the heap for upsamplings by powers of two)
// against the exact gradient: dy added into the pixel the forward pass copied from, which the
// cpu backend's forward pass tells by resizing an image of pixel numbers. (Not the cpu
// backend's gradient: for a batch of more than one it reads dy at the images' batch stride.)
// YOLOv5's 2x upsampling, unequal powers of two, and the cases handed back to the stock
// kernel (a 3x ratio, a downsampling, corners aligned).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { randomArray } from "../helpers/random-array";

interface Case {
  label: string;
  shape: [number, number, number, number];
  size: [number, number];
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

function resize(t: tf.Tensor, c: Case): tf.Tensor {
  return tf.image.resizeNearestNeighbor(t as tf.Tensor4D, c.size, c.alignCorners, c.halfPixelCenters);
}

/** The gradient of sum(resize(x) * r) on `backend`, and r. */
async function gradient(backend: string, c: Case): Promise<{ dx: Float32Array; r: Float32Array }> {
  await switchBackend(backend);
  const x = tf.tensor4d(
    randomArray(
      c.shape.reduce((a, b) => a * b, 1),
      1,
    ),
    c.shape,
  );
  const rValues = randomArray(c.shape[0] * c.size[0] * c.size[1] * c.shape[3], 2);
  const r = tf.tensor(rValues, [c.shape[0], ...c.size, c.shape[3]]);
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(resize(t, c), r)))(x);
  const out = (await dx.data()) as Float32Array;
  tf.dispose([x, r, dx]);
  return { dx: out, r: rValues };
}

/** Each r value added into the input value the cpu backend's forward pass copied to its place. */
async function exactGradient(c: Case, r: Float32Array): Promise<Float32Array> {
  await switchBackend("cpu");
  const size = c.shape.reduce((a, b) => a * b, 1);
  const numbers = tf.tensor4d(
    Float32Array.from({ length: size }, (_, i) => i),
    c.shape,
  );
  const source = resize(numbers, c);
  const from = (await source.data()) as Float32Array;
  tf.dispose([numbers, source]);
  const dx = new Float32Array(size);
  from.forEach((i, k) => {
    dx[i] += r[k];
  });
  return dx;
}

before(async () => {
  await switchBackend("wasm");
});

const cases: Case[] = [
  { label: "2x (YOLOv5's Upsample)", shape: [2, 5, 6, 8], size: [10, 12] },
  { label: "4x by 2x, odd channels", shape: [1, 3, 4, 3], size: [12, 8] },
  { label: "1x", shape: [2, 4, 4, 2], size: [4, 4] },
  { label: "3x (stock)", shape: [1, 3, 3, 2], size: [9, 9] },
  { label: "downsampling (stock)", shape: [1, 8, 8, 2], size: [4, 4] },
  { label: "2x, corners aligned (stock)", shape: [1, 4, 4, 2], size: [8, 8], alignCorners: true },
  { label: "2x, half-pixel centres (stock)", shape: [1, 4, 4, 2], size: [8, 8], halfPixelCenters: true },
];
for (const c of cases) {
  test(`ResizeNearestNeighborGrad ${c.label}: wasm's is the exact gradient`, async () => {
    const wasm = await gradient("wasm", c);
    const exact = await exactGradient(c, wasm.r);
    assert.equal(wasm.dx.length, exact.length);
    let worst = 0;
    for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(wasm.dx[i] - exact[i]));
    assert.ok(worst <= 1e-5, `max |wasm - exact| = ${worst}`);
  });
}
