// The wasm backend's allocator as tfjs-lab wraps it (src/tfjs/wasm-allocator.ts): every
// buffer starts on 64 bytes and goes back when freed, the buffers the module's C++ code
// allocates are freed as they were and, past 2 GiB, read right, and a wrapper set on
// emscripten's lazy stubs stays.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { type WasmAllocator, WASM_ALIGNMENT_BYTES, alignWasmAllocations, wrapWasmAllocator } from "../../src/tfjs/wasm-allocator";

interface WasmBackendLike {
  wasm: WasmAllocator & { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
}
const wasmBackend = () => tf.backend() as unknown as WasmBackendLike;
const offsetOf = (t: tf.Tensor) => wasmBackend().dataIdMap.get(t.dataId).memoryOffset;
const heapBytes = () => wasmBackend().wasm.HEAPU8.buffer.byteLength;

before(async () => {
  await switchBackend("wasm");
});

test("every buffer of the wasm backend starts on 64 bytes: tensors of any size and dtype, and kernels' outputs", () => {
  const tensors: tf.Tensor[] = [];
  for (let n = 0; n < 70; n++) {
    tensors.push(tf.zeros([n + 1]), tf.ones([n + 1], "int32"), tf.ones([n + 1], "bool"));
    if (n % 3 === 0) tensors.shift()?.dispose(); // freed buffers are reused in between
  }
  const x = tf.randomNormal([2, 9, 9, 8]);
  const w = tf.randomNormal([3, 3, 8, 12]);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same");
  const v = tf.variable(w);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.conv2d(x as tf.Tensor4D, v as tf.Tensor4D, 2, "same")), [v]);
  tensors.push(x, w, y, value, ...Object.values(grads), v);
  const misaligned = tensors
    .filter((t) => offsetOf(t) % WASM_ALIGNMENT_BYTES !== 0)
    .map((t) => `[${t.shape}] ${t.dtype} at ${offsetOf(t)}`);
  assert.deepEqual(misaligned, []);
  tf.dispose(tensors);
});

test("freed buffers go back to the allocator: 2,000 tensors of 4 MiB made and disposed leave the heap as it was", () => {
  tf.dispose(tf.zeros([1 << 20])); // the heap has room for one
  const heap = heapBytes();
  for (let i = 0; i < 2000; i++) tf.dispose(tf.tidy(() => tf.add(tf.zeros([1 << 20]), 1)));
  assert.ok(heapBytes() <= heap + (16 << 20), `heap grew from ${heap} to ${heapBytes()} bytes`);
});

test("non-max suppression, whose results the module's C++ code allocates and the backend frees, stays right over 200 calls", async () => {
  const boxes = tf.tensor2d([0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 2, 1, 3, 0, 4, 1, 5], [4, 4]);
  const scores = tf.tensor1d([0.9, 0.8, 0.7, 0.95]);
  for (let i = 0; i < 200; i++) {
    const { selectedIndices, selectedScores } = tf.image.nonMaxSuppressionWithScore(boxes, scores, 10, 0.5, 0, 0);
    const plain = tf.image.nonMaxSuppression(boxes, scores, 10, 0.5);
    const between = tf.fill([100 + i], i); // a tensor allocated between the frees, checked after them
    assert.deepEqual(Array.from(await selectedIndices.data()), [3, 0, 2]);
    assert.deepEqual(
      Array.from(await selectedScores.data(), (v) => Number(v.toFixed(2))),
      [0.95, 0.9, 0.7],
    );
    assert.deepEqual(Array.from(await plain.data()), [3, 0, 2]);
    tf.dispose([selectedIndices, selectedScores, plain]);
    assert.ok((await between.data()).every((v) => v === i));
    between.dispose();
  }
  tf.dispose([boxes, scores]);
});

/** A JavaScript stand-in for the module's allocator: addresses from `first` on, 8 bytes apart from 16 (as dlmalloc's), and a record of frees. */
function bumpAllocator(first: number) {
  let next = first;
  const live = new Map<number, number>();
  const freed: number[] = [];
  const allocator: WasmAllocator = {
    _malloc(bytes) {
      const at = next;
      next += Math.ceil((bytes + 8) / 16) * 16;
      live.set(at, bytes);
      return at | 0; // as emscripten returns it: signed above 2 GiB
    },
    _free(ptr) {
      const at = ptr >>> 0;
      assert.ok(live.delete(at), `freed ${at}, which is not a live allocation`);
      freed.push(at);
    },
  };
  return { allocator, live, freed };
}

test("alignment: every address aligned inside what was allocated, the right one freed, foreign ones passed through, past 2 GiB too", () => {
  for (const first of [8, 2 ** 31 + 8]) {
    const { allocator, live, freed } = bumpAllocator(first);
    const foreign = allocator._malloc(100) >>> 0; // before the wrap, as the module's own buffers
    alignWasmAllocations(allocator);
    const given = [1, 7, 64, 100, 4096].map((bytes) => ({ bytes, at: allocator._malloc(bytes) >>> 0 }));
    for (const { bytes, at } of given) {
      assert.equal(at % WASM_ALIGNMENT_BYTES, 0, `${bytes} bytes at ${at}`);
      const start = [...live.keys()].find((s) => s <= at && at + bytes <= s + live.get(s)!);
      assert.ok(start !== undefined, `${bytes} bytes at ${at} lie inside one allocation`);
    }
    for (const { at } of given) allocator._free(at);
    allocator._free(foreign);
    assert.deepEqual([...live.keys()], [], "everything freed once");
    assert.equal(freed.at(-1), foreign);
  }
});

test("a wrapper set before emscripten's lazy stubs ran stays in place after their first call", () => {
  // Emscripten's stubs: the first call puts the export on the module in their place.
  const exports = bumpAllocator(1024).allocator;
  const module: WasmAllocator = {
    _malloc(bytes) {
      module._malloc = exports._malloc;
      return exports._malloc(bytes);
    },
    _free(ptr) {
      module._free = exports._free;
      exports._free(ptr);
    },
  };
  const calls: string[] = [];
  wrapWasmAllocator(module, (next) => ({
    _malloc(bytes) {
      calls.push(`malloc ${bytes}`);
      return next._malloc(bytes);
    },
    _free(ptr) {
      calls.push("free");
      next._free(ptr);
    },
  }));
  module._free(module._malloc(10));
  module._free(module._malloc(20));
  assert.deepEqual(calls, ["malloc 10", "free", "malloc 20", "free"]);
});

test("past 2 GiB of heap, a buffer the C++ side hands over (a signed address) reads right; non-max suppression still does", async () => {
  // Live tensors below 2 GiB, so that the next large buffer lies above it.
  const filler: tf.Tensor[] = [];
  while (filler.length < 40 && !filler.some((t) => offsetOf(t) >= 2 ** 31)) filler.push(tf.zeros([16 << 20]));
  try {
    const backend = wasmBackend() as unknown as WasmBackendLike & {
      makeOutput(shape: number[], dtype: string, memoryOffset?: number): { dataId: object; shape: number[]; dtype: tf.DataType };
    };
    const count = 1 << 20;
    const at = backend.wasm._malloc(4 * count) >>> 0;
    assert.ok(at >= 2 ** 31, `the buffer lies at ${at}, below 2 GiB: the test did not reach its case`);
    new Float32Array(backend.wasm.HEAPU8.buffer, at, count).forEach((_, i, a) => (a[i] = i % 7));
    // As the stock non-max suppression kernels pass what the C++ side returned: an int32.
    const info = backend.makeOutput([count], "float32", at | 0);
    const t = tf.engine().makeTensorFromTensorInfo(info);
    assert.equal(offsetOf(t), at);
    const values = await t.data();
    assert.ok(values.every((v, i) => v === i % 7));
    t.dispose(); // frees the buffer through _free

    const boxes = tf.tensor2d([0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 2, 1, 3], [3, 4]);
    const scores = tf.tensor1d([0.9, 0.8, 0.7]);
    const { selectedIndices, selectedScores } = tf.image.nonMaxSuppressionWithScore(boxes, scores, 10, 0.5, 0, 0);
    const padded = tf.image.nonMaxSuppressionPadded(boxes, scores, 10, 0.5, 0, true);
    assert.deepEqual(Array.from(await selectedIndices.data()), [0, 2]);
    assert.deepEqual(
      Array.from(await selectedScores.data(), (v) => Number(v.toFixed(2))),
      [0.9, 0.7],
    );
    assert.equal((await padded.validOutputs.data())[0], 2);
    tf.dispose([boxes, scores, selectedIndices, selectedScores, padded.selectedIndices, padded.validOutputs]);
  } finally {
    tf.dispose(filler);
  }
});
