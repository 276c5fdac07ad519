// Mul/Add/Sub/Div of an activation and a per-channel vector or scalar on wasm (a 1x1
// depthwise convolution with bias above 128K elements) against the cpu backend to 1e-4; other
// operand shapes and dtypes keep the stock kernels.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

function values(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 3),
    shape,
  );
}

async function both(f: () => tf.Tensor): Promise<[Float32Array, Float32Array]> {
  const out: Float32Array[] = [];
  for (const backend of ["cpu", "wasm"]) {
    await switchBackend(backend);
    const t = f();
    out.push((await t.data()) as Float32Array);
    t.dispose();
  }
  return [out[0], out[1]];
}

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-4 * 10, `${what}: max |wasm - cpu| = ${worst}`);
}

before(async () => {
  await switchBackend("wasm");
});

const big = [2, 40, 40, 48]; // 153600 elements: above the threshold
const vectors: [string, number[]][] = [
  ["[C]", [48]],
  ["[1,1,1,C]", [1, 1, 1, 48]],
  ["[1,C]", [1, 48]],
];
for (const [vLabel, vShape] of vectors) {
  for (const op of ["mul", "add", "sub"] as const) {
    test(`${op} of [2,40,40,48] and ${vLabel}, both orders: wasm matches cpu`, async () => {
      const fn = tf[op] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
      const [c1, w1] = await both(() => tf.tidy(() => fn(values(big, 1), values(vShape, 2))));
      close(w1, c1, `x ${op} v`);
      const [c2, w2] = await both(() => tf.tidy(() => fn(values(vShape, 2), values(big, 1))));
      close(w2, c2, `v ${op} x`);
    });
  }
}

for (const [x, form] of [
  [[2, 20, 20, 255], "four pixels a row of vectors"],
  [[1, 3, 181, 255], "543 pixels, not a multiple of 4: the depthwise form"],
] as const)
  test(`mul and add of ${JSON.stringify(x)} and [255] (channels not in vectors of 4; ${form}), both orders: wasm matches cpu`, async () => {
    const [c1, w1] = await both(() => tf.tidy(() => tf.mul(values([...x], 1), values([255], 2))));
    close(w1, c1, "x mul v");
    const [c2, w2] = await both(() => tf.tidy(() => tf.add(values([255], 2), values([...x], 1))));
    close(w2, c2, "v add x");
  });

test("a single value ([] or [1,1,1,1,1]) and a rank-5 [2,3,20,20,85] (Detect's channels, not in vectors of 4), both orders: wasm matches cpu", async () => {
  const x = [2, 3, 20, 20, 85];
  for (const vShape of [[], [1, 1, 1, 1, 1]]) {
    const [c1, w1] = await both(() => tf.tidy(() => tf.mul(values(vShape, 2), values(x, 1))));
    close(w1, c1, `${JSON.stringify(vShape)} mul x`);
    const [c2, w2] = await both(() => tf.tidy(() => tf.sub(values(x, 1), values(vShape, 2))));
    close(w2, c2, `x sub ${JSON.stringify(vShape)}`);
  }
});

test("div by a per-channel vector or a scalar, and a scalar times an activation: wasm matches cpu", async () => {
  const cases: [string, () => tf.Tensor][] = [
    ["x / [C]", () => tf.tidy(() => tf.div(values(big, 1), tf.add(tf.abs(values([48], 2)), 0.5)))],
    ["x / scalar", () => tf.tidy(() => tf.div(values(big, 1), tf.scalar(12800)))],
    ["[C] / x (stock)", () => tf.tidy(() => tf.div(values([48], 2), tf.add(tf.abs(values(big, 1)), 1)))],
    ["scalar * x", () => tf.tidy(() => tf.mul(tf.scalar(-0.25), values(big, 1)))],
    ["scalar - x", () => tf.tidy(() => tf.sub(tf.scalar(1), values(big, 1)))],
  ];
  for (const [label, f] of cases) {
    const [c, w] = await both(f);
    close(w, c, label);
  }
});

test("other shapes and dtypes keep the stock kernels' results", async () => {
  const cases: [string, () => tf.Tensor][] = [
    ["small activation", () => tf.tidy(() => tf.mul(values([2, 3, 3, 4], 1), values([4], 2)))],
    ["same shapes", () => tf.tidy(() => tf.sub(values(big, 1), values(big, 3)))],
    ["row vector on another axis", () => tf.tidy(() => tf.add(values([2, 40, 40, 48], 1), values([1, 40, 1, 1], 2)))],
    ["int32", () => tf.tidy(() => tf.cast(tf.mul(tf.cast(values(big, 1), "int32"), tf.tensor1d(Array(48).fill(2), "int32")), "float32"))],
    ["scalar", () => tf.tidy(() => tf.mul(values(big, 1), tf.scalar(0.5)))],
  ];
  for (const [label, f] of cases) {
    const [c, w] = await both(f);
    close(w, c, label);
  }
});

test("the BatchNorm chain's gradient through broadcast channel ops matches cpu", async () => {
  const [c, w] = await both(() =>
    tf.tidy(() => {
      const x = values([2, 20, 20, 64], 1);
      return tf.grad((t: tf.Tensor) => {
        const { mean, variance } = tf.moments(t, [0, 1, 2]);
        const y = tf.batchNorm4d(
          t as tf.Tensor4D,
          mean as tf.Tensor1D,
          variance as tf.Tensor1D,
          tf.fill([64], 0.1) as tf.Tensor1D,
          tf.fill([64], 1.5) as tf.Tensor1D,
          1e-5,
        );
        return tf.sum(tf.mul(tf.mul(y, tf.sigmoid(y)), values([2, 20, 20, 64], 5)));
      })(x);
    }),
  );
  close(w, c, "dx");
});
