// What goes wrong on the device is an error in the calling code, never wrong numbers: a
// validation error throws from the op that caused it (or the next op or read when Dawn
// finds it later), and a synchronous read says what to use instead.
import { useWebgpu } from "./swiftshader";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { SYNC_READ_MESSAGE, stockWebgpuKernel } from "../../src/tfjs/webgpu";

before(useWebgpu);

interface DeviceView {
  device: { createBuffer(d: object): object; queue: { writeBuffer(b: object, offset: number, data: Float32Array): void } };
}

test("tfjs-backend-webgpu's own AddN past the limit throws Dawn's error instead of returning zeros", async () => {
  const xs = Array.from({ length: 20 }, (_, i) => tf.add(tf.zeros([4]), i));
  const stock = stockWebgpuKernel("AddN")!;
  assert.throws(() => stock({ inputs: xs, backend: tf.backend(), attrs: {} }), {
    name: "GPUValidationError",
    message:
      /^WebGPU validation error while running 'AddNPackedProgram'; the op was not run:\nThe number of storage buffers \(21\) in the Compute stage exceeds the maximum per-stage limit \(8\)/,
  });
  // The failed op left nothing behind: the next ones run and are right.
  assert.deepEqual(Array.from(await tf.add(xs[1], xs[2]).data()), [3, 3, 3, 3]);
  tf.dispose(xs);
});

test("an error Dawn reports outside an op throws from the next op, then from nothing else", async () => {
  const device = (tf.backend() as unknown as DeviceView).device;
  const buffer = device.createBuffer({ size: 16, usage: 8 /* COPY_DST */ | 128 /* STORAGE */ });
  const a = tf.add(tf.ones([2]), 1);
  device.queue.writeBuffer(buffer, 2, new Float32Array(1)); // offset not a multiple of 4
  assert.throws(() => tf.mul(a, 3), {
    name: "GPUValidationError",
    message: /^WebGPU validation error; ops queued since the last read may not have run/,
  });
  device.queue.writeBuffer(buffer, 2, new Float32Array(1));
  await assert.rejects(a.data(), { name: "GPUValidationError", message: /multiple of 4/ });
  assert.deepEqual(Array.from(await tf.mul(a, 3).data()), [6, 6]);
  a.dispose();
});

test("dataSync on a tensor in GPU memory says to use await t.data(); data still on the CPU reads", async () => {
  const onGpu = tf.mul(tf.tensor1d([1, 2]), 2);
  assert.throws(() => onGpu.dataSync(), { name: "RuntimeError", message: SYNC_READ_MESSAGE });
  assert.throws(() => onGpu.arraySync(), { message: /Use `await t\.data\(\)` or `await t\.array\(\)` instead\.$/ });
  assert.deepEqual(await onGpu.array(), [2, 4]);
  // After an async read the values are cached on the CPU: the sync read works.
  assert.deepEqual(Array.from(onGpu.dataSync()), [2, 4]);
  const fromJs = tf.tensor1d([5, 6]);
  assert.deepEqual(Array.from(fromJs.dataSync()), [5, 6]);
  tf.dispose([onGpu, fromJs]);
});

test("tfjs-backend-webgpu's own Multiply of a 5-D tensor by a short vector does not compile; ours does", async () => {
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  const map = tf.add(tf.zeros([1, 3, 2, 2, 4]), 1),
    vector = tf.add(tf.tensor1d([1, 2, 3, 4]), 0);
  assert.throws(() => stockWebgpuKernel("Multiply")!({ inputs: { a: map, b: vector }, backend: tf.backend(), attrs: {} }), {
    name: "GPUValidationError",
    message: /cannot index type 'vec5'/,
  });
  const product = tf.mul(map, vector);
  assert.deepEqual(product.shape, [1, 3, 2, 2, 4]);
  assert.deepEqual(Array.from(await product.data()).slice(0, 8), [1, 2, 3, 4, 1, 2, 3, 4]);
  tf.dispose([map, vector, product]);
});

test("a device validation error in a cell is the cell's error, and the kernel runs the next cell", async () => {
  const { cellRunner } = await import("../magics/run-cell");
  const cells = cellRunner();
  // The cell reaches the stock AddN (which fails past the limit) through a global: cells do not import src/.
  (globalThis as { __stockAddN?: unknown }).__stockAddN = stockWebgpuKernel("AddN");
  try {
    assert.equal((await cells.run("%backend webgpu")).status, "ok");
    const failed = await cells.run(`
const parts = Array.from({ length: 12 }, (_, i) => tf.add(tf.zeros([4]), i));
(globalThis as any).__stockAddN({ inputs: parts, backend: tf.backend(), attrs: {} });`);
    assert.equal(failed.status, "error");
    assert.equal(failed.ename, "GPUValidationError");
    assert.match(failed.evalue!, /^WebGPU validation error while running 'AddNPackedProgram'; the op was not run:/);
    const next = await cells.run("console.log(Array.from(await tf.addN(parts).data()).join(' ')); tf.dispose(parts);");
    assert.equal(next.status, "ok", next.evalue);
    assert.equal(next.text, "66 66 66 66\n");
  } finally {
    delete (globalThis as { __stockAddN?: unknown }).__stockAddN;
    cells.engine.shutdown();
  }
});
