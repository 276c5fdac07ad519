// tf.gather's gradient (UnsortedSegmentSum) on wasm, against the cpu backend: repeated
// indices accumulate, rows never gathered get zero.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, switchBackend } from "../../src/tfjs";

async function gatherGrad(backend: string, x: number[][], idx: number[]): Promise<number[][]> {
  await switchBackend(backend);
  const weights = tf.tensor2d(
    x.map((r, i) => r.map((_, j) => (i + 1) * (j + 2))),
    undefined,
    "float32",
  );
  const g = tf.grad((t: tf.Tensor) =>
    tf
      .gather(t, tf.tensor1d(idx, "int32"))
      .mul(weights.slice([0, 0], [idx.length, x[0].length]))
      .sum(),
  );
  const out = (await g(tf.tensor2d(x)).array()) as number[][];
  weights.dispose();
  return out;
}

test("UnsortedSegmentSum on wasm matches cpu (gather gradient with repeated and unused rows)", async () => {
  await initBackend();
  const x = Array.from({ length: 6 }, (_, i) => [i, i + 0.5, -i]);
  const idx = [4, 1, 4, 0, 4];
  const cpu = await gatherGrad("cpu", x, idx);
  const wasm = await gatherGrad("wasm", x, idx);
  assert.deepEqual(wasm, cpu);
  assert.deepEqual(wasm[2], [0, 0, 0], "row never gathered");
  const direct = await tf
    .unsortedSegmentSum(
      tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      tf.tensor1d([2, 0, 2], "int32"),
      4,
    )
    .array();
  assert.deepEqual(direct, [
    [3, 4],
    [0, 0],
    [6, 8],
    [0, 0],
  ]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    tf.unsortedSegmentSum(tf.ones([5, 3]), tf.tensor1d([0, 1, 0, 1, 2], "int32"), 3);
  });
  assert.equal(tf.memory().numTensors, before, "no tensors leaked");
});
