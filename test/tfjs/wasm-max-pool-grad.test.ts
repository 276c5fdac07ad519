// MaxPoolGrad on wasm against the cpu backend, on both paths (our SIMD kernel where the
// channels come in vectors of 4, JS otherwise): SPPF's 5x5 stride-1 "same" pool, strided and
// valid pools, odd sizes, ties (first maximum wins), -Infinity and NaN (never a maximum).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

type Pad = "same" | "valid" | number;
interface Case {
  shape: [number, number, number, number];
  k: number;
  s: number;
  pad: Pad;
  ties?: boolean;
  /** Some -Infinity and NaN among the values. */
  special?: boolean;
}

function input(c: Case): tf.Tensor4D {
  const n = c.shape.reduce((a, b) => a * b, 1);
  // With ties: few distinct values, so windows hold several equal maxima.
  return tf.tensor4d(
    Array.from({ length: n }, (_, i) =>
      c.special && i % 5 === 0 ? (i % 3 === 0 ? Number.NaN : Number.NEGATIVE_INFINITY) : c.ties ? (i * 7) % 5 : Math.sin(i * 1.3) * 4,
    ),
    c.shape,
  );
}

async function grads(backend: string, c: Case): Promise<Float32Array> {
  await switchBackend(backend);
  const x = input(c);
  const outShape = tf.tidy(() => tf.maxPool(x, c.k, c.s, c.pad).shape);
  const r = tf.tensor(
    Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i)),
    outShape,
  );
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.k, c.s, c.pad), r)))(x);
  const out = (await dx.data()) as Float32Array;
  tf.dispose([x, r, dx]);
  return out;
}

before(async () => {
  await switchBackend("wasm");
});

const cases: Case[] = [
  { shape: [2, 10, 10, 16], k: 5, s: 1, pad: "same" },
  { shape: [2, 9, 7, 3], k: 3, s: 2, pad: "same" },
  { shape: [1, 9, 9, 4], k: 2, s: 2, pad: "valid" },
  { shape: [2, 8, 8, 5], k: 3, s: 1, pad: 1 },
  { shape: [2, 7, 7, 6], k: 5, s: 1, pad: "same", ties: true },
  { shape: [2, 7, 7, 8], k: 5, s: 1, pad: "same", ties: true },
  { shape: [3, 9, 7, 8], k: 3, s: 2, pad: "same" },
  { shape: [2, 6, 6, 4], k: 3, s: 1, pad: 1, special: true },
  { shape: [2, 6, 6, 5], k: 3, s: 1, pad: 1, special: true },
  { shape: [1, 4, 4, 4], k: 4, s: 1, pad: "valid", special: true }, // one window
];
for (const c of cases) {
  test(`MaxPoolGrad ${c.shape} k${c.k} s${c.s} ${c.pad}${c.ties ? " (ties)" : ""}${c.special ? " (-Infinity, NaN)" : ""}: wasm matches cpu`, async () => {
    const cpu = await grads("cpu", c);
    const wasm = await grads("wasm", c);
    assert.equal(wasm.length, cpu.length);
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - cpu[i]));
    assert.ok(worst <= 1e-4, `max |wasm - cpu| = ${worst}`);
  });
}
