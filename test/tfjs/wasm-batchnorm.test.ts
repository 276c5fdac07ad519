// FusedBatchNorm on wasm (a 1x1 depthwise convolution with bias for per-channel parameters,
// the stock kernel otherwise) against the cpu backend to 1e-4, forward and (with scale and
// offset, as the model has them) through the gradient.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

function values(size: number, seed: number, shift = 0): number[] {
  return Array.from({ length: size }, (_, i) => Math.sin(i * 1.7 + seed) * 2 + shift);
}

interface Case {
  label: string;
  x: number[];
  param: number[];
  withScale: boolean;
  withOffset: boolean;
  eps: number;
  shift?: number;
}
const cases: Case[] = [
  { label: "4-D, [C] params", x: [2, 5, 7, 3], param: [3], withScale: true, withOffset: true, eps: 1e-3 },
  { label: "4-D, [1,1,1,C] params", x: [3, 4, 5, 6], param: [1, 1, 1, 6], withScale: true, withOffset: true, eps: 1e-5 },
  { label: "no scale, no offset", x: [2, 3, 3, 4], param: [4], withScale: false, withOffset: false, eps: 1e-5 },
  { label: "2-D, odd channels, no offset", x: [9, 7], param: [7], withScale: true, withOffset: false, eps: 1e-5 },
  { label: "mean far from zero", x: [2, 4, 4, 5], param: [5], withScale: true, withOffset: true, eps: 1e-5, shift: 50 },
  { label: "full-shape params (stock kernel)", x: [2, 3, 3, 2], param: [2, 3, 3, 2], withScale: true, withOffset: true, eps: 1e-5 },
];

async function run(backend: string, c: Case): Promise<{ y: number[]; dx: number[]; dScale: number[] }> {
  await switchBackend(backend);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor(values(size(c.x), 1, c.shift ?? 0), c.x);
  const mean = tf.tensor(values(size(c.param), 2, c.shift ?? 0), c.param);
  const variance = tf.tensor(
    values(size(c.param), 3).map((v) => v * v + 0.5),
    c.param,
  );
  const scale = c.withScale ? tf.tensor(values(size(c.param), 4), c.param) : undefined;
  const offset = c.withOffset ? tf.tensor(values(size(c.param), 5), c.param) : undefined;
  const r = tf.tensor(values(size(c.x), 6), c.x);
  const f = (a: tf.Tensor, s?: tf.Tensor) => tf.batchNorm(a, mean, variance, offset, s, c.eps);
  const y = f(x, scale);
  const out = { y: Array.from(await y.data()), dx: [] as number[], dScale: [] as number[] };
  if (scale && offset) {
    const [dx, dScale] = tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(f(a, s), r)))([x, scale]);
    out.dx = Array.from(await dx.data());
    out.dScale = Array.from(await dScale.data());
    tf.dispose([dx, dScale]);
  }
  tf.dispose([x, mean, variance, r, y, ...(scale ? [scale] : []), ...(offset ? [offset] : [])]);
  return out;
}

function close(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...expected.map(Math.abs));
  const worst = Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i])));
  assert.ok(worst <= 1e-4 * scale, `${what}: max |wasm - cpu| = ${worst} (scale ${scale})`);
}

before(async () => {
  await switchBackend("wasm");
});

for (const c of cases) {
  test(`FusedBatchNorm ${c.label}: wasm matches cpu to 1e-4`, async () => {
    const cpu = await run("cpu", c);
    const wasm = await run("wasm", c);
    close(wasm.y, cpu.y, `${c.label} y`);
    close(wasm.dx, cpu.dx, `${c.label} dx`);
    close(wasm.dScale, cpu.dScale, `${c.label} dScale`);
  });
}

test("FusedBatchNorm on wasm leaves no tensors or buffers behind", async () => {
  await switchBackend("wasm");
  const x = tf.ones([2, 3, 3, 4]),
    p = tf.ones([4]);
  const before = tf.memory();
  const y = tf.batchNorm(x, p, p, p, p, 1e-3);
  y.dispose();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numDataBuffers, before.numDataBuffers);
  tf.dispose([x, p]);
});
