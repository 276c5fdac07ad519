// The composed wasm gradient kernels against the cpu backend's reference kernels, through
// the same gradient functions training uses (tf.grads of conv2d / depthwiseConv2d).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmGradientKernels } from "../../src/toolkit/backend/wasm-kernels/register";
import { switchBackend } from "../../src/toolkit/backend";
import { assertClose } from "../helpers/assert-close";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case { n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: Pad }

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}
function randomArray(size: number, seed: number): Float32Array {
  const next = seeded(seed);
  return Float32Array.from({ length: size }, next);
}

/** Gradients of sum(conv(x, w) * r) w.r.t. x and w, computed on `backend`. */
async function convGrads(backend: string, c: Case, depthwise: boolean): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const wShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
  const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
  const w = tf.tensor4d(randomArray(wShape.reduce((a, b) => a * b), 2), wShape);
  const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => depthwise
    ? tf.depthwiseConv2d(a, b, c.s, c.pad)
    : tf.conv2d(a, b, c.s, c.pad);
  const outShape = tf.tidy(() => conv(x, w).shape);
  const r = tf.tensor(randomArray(outShape.reduce((a, b) => a * b), 3), outShape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
  const result = { dx: (await dx.data()) as Float32Array, dw: (await dw.data()) as Float32Array };
  tf.dispose([x, w, r, dx, dw]);
  return result;
}

const explicit: Pad = [[0, 0], [1, 0], [2, 1], [0, 0]];
const convCases: Case[] = [
  { n: 4, h: 24, w: 20, ci: 16, co: 24, k: 3, s: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] }, // big enough to split across threads
  { n: 1, h: 8, w: 8, ci: 3, co: 16, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 3, co: 4, k: 3, s: 2, pad: "same" },
  { n: 2, h: 9, w: 9, ci: 16, co: 8, k: 3, s: 2, pad: "valid" },
  { n: 3, h: 7, w: 10, ci: 1, co: 3, k: 3, s: 1, pad: "valid" },
  { n: 2, h: 11, w: 11, ci: 4, co: 16, k: 5, s: 2, pad: "same" },
  { n: 2, h: 8, w: 6, ci: 16, co: 16, k: 1, s: 1, pad: "valid" },
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: 1, s: 2, pad: "same" },
  { n: 2, h: 10, w: 8, ci: 3, co: 4, k: 6, s: 2, pad: "same" },
  { n: 2, h: 8, w: 9, ci: 3, co: 2, k: 3, s: 1, pad: explicit },
  { n: 1, h: 9, w: 8, ci: 2, co: 3, k: 3, s: 2, pad: explicit },
];
const depthwiseCases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 1, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 16, co: 1, k: 3, s: 2, pad: "same" },
  { n: 1, h: 9, w: 9, ci: 4, co: 2, k: 3, s: 2, pad: "valid" },
  { n: 3, h: 6, w: 7, ci: 1, co: 3, k: 5, s: 1, pad: "same" },
  { n: 2, h: 8, w: 9, ci: 3, co: 1, k: 3, s: 1, pad: explicit },
];

before(async () => {
  // The default path: wasm as initBackend starts it (threaded where there are cores).
  await switchBackend("wasm");
  registerWasmGradientKernels();
});

for (const [kind, cases] of [["conv2d", convCases], ["depthwiseConv2d", depthwiseCases]] as const) {
  for (const c of cases) {
    const label = `${kind} n${c.n} ${c.h}x${c.w}x${c.ci}->${c.co} k${c.k} s${c.s} ${JSON.stringify(c.pad)}`;
    test(`${label}: wasm gradients match cpu to 1e-4`, async () => {
      const reference = await convGrads("cpu", c, kind === "depthwiseConv2d");
      const ours = await convGrads("wasm", c, kind === "depthwiseConv2d");
      assertClose(ours.dx, reference.dx, `${label} dx`);
      assertClose(ours.dw, reference.dw, `${label} dw`);
    });
  }
}
