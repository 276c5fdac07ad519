// Kernels with many inputs past the device's storage-buffer limit per shader stage (8 by
// default): addN of 300 tensors, concat of 200, stack of 150, exact, with their gradients.
import { useWebgpu } from "./swiftshader";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { maxInputsPerProgram } from "../../src/tfjs/webgpu";

before(useWebgpu);

/** n small tensors whose values say which tensor and which element they are. */
function numbered(n: number, size: number, step = 1000): tf.Tensor1D[] {
  // Computed on the device, so the kernels read GPU buffers rather than CPU copies.
  return Array.from({ length: n }, (_, i) => tf.add(tf.range(0, size), i * step) as tf.Tensor1D);
}

test("the device's limit is what makes these cases hard", () => {
  const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } }).device.limits
    .maxStorageBuffersPerShaderStage;
  assert.ok(limit < 200, `maxStorageBuffersPerShaderStage ${limit}`);
  assert.equal(maxInputsPerProgram(tf.backend() as never), limit - 1);
});

test("addN of 300 tensors is the exact sum, and frees its partial sums", async () => {
  const xs = numbered(300, 4, 1); // sums stay exact in float32
  const before = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  const sum = tf.addN(xs);
  assert.equal(tf.memory().numTensors, before + 1);
  assert.equal(tf.engine().backend.numDataIds(), buffers + 1, "partial sums freed");
  const total = (300 * 299) / 2;
  assert.deepEqual(
    Array.from(await sum.data()),
    [0, 1, 2, 3].map((j) => total + 300 * j),
  );
  tf.dispose([sum, ...xs]);
});

test("concat of 200 tensors and stack of 150 are exact", async () => {
  const xs = numbered(200, 3);
  const joined = tf.concat(xs);
  const expected = xs.flatMap((_, i) => [0, 1, 2].map((j) => i * 1000 + j));
  assert.deepEqual(Array.from(await joined.data()), expected);
  const stacked = tf.stack(xs.slice(0, 150), 1);
  assert.deepEqual(stacked.shape, [3, 150]);
  const rows = (await stacked.array()) as number[][];
  assert.deepEqual(rows[2].slice(147), [147002, 148002, 149002]);
  tf.dispose([joined, stacked, ...xs]);
});

test("the gradients through addN and concat of 200 inputs are right", async () => {
  const xs = numbered(200, 2);
  const grads = tf.grads((...ts: tf.Tensor[]) => tf.add(tf.sum(tf.addN(ts)), tf.sum(tf.mul(tf.concat(ts), 2))))(xs);
  const values = await Promise.all(grads.map((g) => g.data()));
  assert.ok(
    values.every((v) => v[0] === 3 && v[1] === 3),
    "d/dx of sum(addN) + 2 sum(concat) is 3 everywhere",
  );
  tf.dispose([...grads, ...xs]);
});
