// Sum's and Mean's broadcasting gradients against the derivative worked out in plain loops:
// for L = sum(reduce(x, axes) * w), dL/dx at any index is w at that index with the reduced
// axes dropped (divided by the reduced size for Mean).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";

const SHAPE = [2, 3, 4, 5];

function expectedGradient(axes: number[], w: Float32Array, divide: boolean): Float32Array {
  const size = SHAPE.reduce((a, b) => a * b, 1);
  const kept = SHAPE.map((d, i) => (axes.includes(i) ? 1 : d));
  const reduced = axes.reduce((n, a) => n * SHAPE[a], 1);
  const out = new Float32Array(size);
  for (let flat = 0; flat < size; flat++) {
    // The index of x, then the matching index of w (reduced axes at 0).
    let rest = flat,
      wIndex = 0,
      wStride = 1;
    const index = SHAPE.map(() => 0);
    for (let d = SHAPE.length - 1; d >= 0; d--) {
      index[d] = rest % SHAPE[d];
      rest = Math.floor(rest / SHAPE[d]);
    }
    for (let d = SHAPE.length - 1; d >= 0; d--) {
      wIndex += (axes.includes(d) ? 0 : index[d]) * wStride;
      wStride *= kept[d];
    }
    out[flat] = w[wIndex] / (divide ? reduced : 1);
  }
  return out;
}

for (const backend of ["cpu", "wasm"]) {
  for (const [axes, keepDims] of [
    [[0, 1, 2], false],
    [[1, 2], true],
    [[3], false],
    [[0, 1, 2, 3], false],
    [[-1, 0], true],
  ] as [number[], boolean][]) {
    for (const op of ["sum", "mean"] as const) {
      test(`${op} gradient over axes ${JSON.stringify(axes)}${keepDims ? " (keepDims)" : ""} on ${backend}`, async () => {
        await switchBackend(backend); // also registers the gradients under test
        const positive = axes.map((a) => (a < 0 ? a + SHAPE.length : a));
        const x = tf.randomNormal(SHAPE, 0, 1, "float32", 3);
        const reducedShape = keepDims ? SHAPE.map((d, i) => (positive.includes(i) ? 1 : d)) : SHAPE.filter((_, i) => !positive.includes(i));
        const w = tf.randomNormal(reducedShape, 0, 1, "float32", 4);
        const reduce = op === "sum" ? tf.sum : tf.mean;
        const grad = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reduce(a, axes, keepDims), w)))(x));
        assert.deepEqual(grad.shape, SHAPE);
        assertClose(
          grad.dataSync() as Float32Array,
          expectedGradient(positive, w.dataSync() as Float32Array, op === "mean"),
          `${op} ${JSON.stringify(axes)}`,
        );
        tf.dispose([x, w, grad]);
      });
    }
  }
}
