// Sum and Mean on wasm (leading axes through average pooling, the rest through the stock
// kernels) against the cpu backend.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
  { shape: [4, 7, 5, 6], axis: [0, 1, 2], keepDims: false },
  { shape: [4, 7, 5, 6], axis: [2, 0, 1], keepDims: true },
  { shape: [3, 9], axis: 0, keepDims: false },
  { shape: [2, 3, 4], axis: [0, 1], keepDims: true },
  { shape: [4, 7, 5, 6], axis: [1, 2], keepDims: false },
  { shape: [4, 7, 5, 6], axis: -1, keepDims: true },
  { shape: [5, 6], axis: [0, 1], keepDims: false },
  { shape: [4, 96, 80, 8], axis: [0, 1, 2], keepDims: false }, // a long window: float32 accumulation stays within 1e-4
];

before(async () => {
  await switchBackend("wasm");
});

for (const op of ["sum", "mean"] as const) {
  for (const c of cases) {
    test(`${op} over ${JSON.stringify(c.axis)} of [${c.shape}] keepDims=${c.keepDims}: wasm matches cpu`, async () => {
      const values = Float32Array.from({ length: c.shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.37) * 3);
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const x = tf.tensor(values, c.shape);
        const y = tf[op](x, c.axis, c.keepDims);
        const out = { shape: y.shape, data: await y.data() };
        tf.dispose([x, y]);
        return out;
      };
      const expected = await run("cpu");
      const actual = await run("wasm");
      assert.deepEqual(actual.shape, expected.shape);
      actual.data.forEach((v, i) =>
        assert.ok(Math.abs(v - expected.data[i]) <= 1e-4 * Math.max(1, Math.abs(expected.data[i])), `${i}: ${v} vs ${expected.data[i]}`),
      );
    });
  }
}

test("integer sums keep the stock kernel", async () => {
  await tf.setBackend("wasm");
  const y = tf.sum(
    tf.tensor2d(
      [
        [1, 2],
        [3, 4],
      ],
      [2, 2],
      "int32",
    ),
    0,
  );
  assert.equal(y.dtype, "int32");
  assert.deepEqual(Array.from(await y.data()), [4, 6]);
});
