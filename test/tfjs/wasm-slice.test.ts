// Slice, SplitV and Concat on wasm (slice.ts: runs copied by our copyRuns kernel, or in JS
// without it) against the cpu backend: every axis, short and long runs, runs of whole
// 16-byte vectors and not, whole trailing axes merged, int32, and the gradient of a concat.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { kernelCallsWithoutSimd } from "../helpers/without-simd";
import { concatHeap, sliceHeap } from "../../src/tfjs/wasm-kernels/slice";

function iota(shape: number[], dtype: "float32" | "int32" = "float32"): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => (dtype === "int32" ? i : i * 0.5 - 3)),
    shape,
    dtype,
  );
}

async function onBoth<T>(f: () => tf.Tensor | tf.Tensor[]): Promise<[T, T]> {
  const results: T[] = [];
  for (const backend of ["cpu", "wasm"]) {
    await switchBackend(backend);
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    results.push((await Promise.all(list.map((t) => t.array()))) as T);
    tf.dispose(list);
  }
  return [results[0], results[1]];
}

before(async () => {
  await switchBackend("wasm");
});

const sliceCases: [string, number[], number[], number[]][] = [
  ["channels of 4-D", [2, 3, 4, 5], [0, 0, 0, 1], [2, 3, 4, 3]],
  ["spatial window, whole channels", [2, 6, 7, 3], [1, 2, 1, 0], [1, 3, 4, 3]],
  ["every axis", [3, 4, 5, 6], [1, 1, 2, 3], [2, 2, 2, 2]],
  ["long runs (set)", [2, 3, 200], [0, 1, 10], [2, 2, 150]],
  ["rank 5", [2, 2, 3, 2, 4], [1, 0, 1, 1, 1], [1, 2, 2, 1, 3]],
  ["rank 1", [10], [3], [5]],
  ["contiguous leading rows", [4, 3, 2], [1, 0, 0], [2, 3, 2]],
  ["size -1", [3, 5], [1, 2], [-1, -1]],
  ["empty", [3, 5], [1, 2], [0, 2]],
];
for (const [label, shape, begin, size] of sliceCases) {
  test(`Slice ${label}: wasm equals cpu`, async () => {
    const [cpu, wasm] = await onBoth(() => tf.slice(iota(shape), begin, size));
    assert.deepEqual(wasm, cpu);
  });
}

test("Slice int32 and SplitV along every axis: wasm equals cpu", async () => {
  const [cpuI, wasmI] = await onBoth(() => tf.slice(iota([4, 6], "int32"), [1, 2], [2, 3]));
  assert.deepEqual(wasmI, cpuI);
  for (let axis = 0; axis < 4; axis++) {
    const [cpu, wasm] = await onBoth(() => tf.split(iota([4, 6, 10, 8]), axis === 3 ? [3, 5] : 2, axis));
    assert.deepEqual(wasm, cpu, `axis ${axis}`);
  }
  const [cpu3, wasm3] = await onBoth(() => tf.split(iota([2, 3, 9]), [2, 3, 4], -1));
  assert.deepEqual(wasm3, cpu3);
});

test("Concat along every axis, three inputs, an empty one, int32: wasm equals cpu", async () => {
  for (let axis = 0; axis < 4; axis++) {
    const shapeB = [4, 5, 6, 7];
    shapeB[axis] = 2;
    const [cpu, wasm] = await onBoth(() =>
      tf.tidy(() => tf.concat([iota([4, 5, 6, 7]), iota(shapeB), iota([4, 5, 6, 7].map((d, i) => (i === axis ? 3 : d)))], axis)),
    );
    assert.deepEqual(wasm, cpu, `axis ${axis}`);
  }
  const [cpuE, wasmE] = await onBoth(() => tf.tidy(() => tf.concat([iota([2, 3]), tf.zeros([2, 0]), iota([2, 70])], 1)));
  assert.deepEqual(wasmE, cpuE);
  const [cpuI, wasmI] = await onBoth(() => tf.tidy(() => tf.concat([iota([3, 2], "int32"), iota([3, 4], "int32")], -1)));
  assert.deepEqual(wasmI, cpuI);
});

test("the gradient of a channel concat (SplitV) on wasm equals cpu", async () => {
  const [cpu, wasm] = await onBoth(() => {
    const a = iota([2, 4, 4, 3]),
      b = iota([2, 4, 4, 5]);
    const r = iota([2, 4, 4, 8]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 3), r)))([a, b]);
    tf.dispose([a, b, r]);
    return [ga, gb];
  });
  assert.deepEqual(wasm, cpu);
});

test("without our SIMD module the runs are copied in JS: Slice and Concat still equal cpu", async () => {
  const read = async (i: tf.TensorInfo) => {
    const t = tf.engine().makeTensorFromDataId(i.dataId, i.shape, i.dtype);
    const a = await t.array();
    t.dispose();
    return a;
  };
  const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  for (const [label, shape, begin, size] of sliceCases.filter(([, , , sz]) => sz.every((d) => d > 0))) {
    const [[cpu]] = await onBoth<unknown[]>(() => tf.slice(iota(shape), begin, size));
    await switchBackend("wasm");
    const calls = kernelCallsWithoutSimd();
    const x = iota(shape);
    assert.deepEqual(await read(sliceHeap(calls, info(x), begin, size)!), cpu, label);
    x.dispose();
  }
  const [[cpu]] = await onBoth<unknown[]>(() => tf.tidy(() => tf.concat([iota([3, 4, 5]), iota([3, 4, 70])], 2)));
  await switchBackend("wasm");
  const calls = kernelCallsWithoutSimd();
  const [a, b] = [iota([3, 4, 5]), iota([3, 4, 70])];
  assert.deepEqual(await read(concatHeap(calls, [info(a), info(b)], 2)!), cpu);
  tf.dispose([a, b]);
});
