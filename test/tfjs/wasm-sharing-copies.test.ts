// Identity and same-dtype Cast on wasm share the input's buffer: values stay right, each
// side can be disposed on its own, and other casts still convert.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";

before(async () => {
  await switchBackend("wasm");
});

test("clone and float32->float32 cast share the buffer and outlive the original", async () => {
  const buffersBefore = tf.memory().numDataBuffers;
  const x = tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const clone = tf.clone(x);
  const same = tf.cast(x, "float32");
  assert.equal(tf.memory().numDataBuffers - buffersBefore, 1, "one buffer for three tensors");
  x.dispose();
  assert.deepEqual(await clone.array(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  clone.dispose();
  assert.deepEqual(await same.array(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  same.dispose();
  assert.equal(tf.memory().numDataBuffers, buffersBefore, "freed with the last one");
});

test("casts between dtypes still convert", async () => {
  const x = tf.tensor1d([1.7, -2.2, 0]);
  assert.deepEqual(await tf.cast(x, "int32").array(), [1, -2, 0]);
  assert.deepEqual(await tf.cast(tf.tensor1d([3, 4], "int32"), "float32").array(), [3, 4]);
  x.dispose();
});

test("cast to bool is x != 0, as on cpu (wasm's stock kernel gave 254 for -2.2 and false for 256)", async () => {
  const cases: [number[], "float32" | "int32"][] = [
    [[-2.2, 0, 0.5, 3, NaN, -0, 1e-30], "float32"],
    [[-2, 0, 256, 1, 512], "int32"],
  ];
  for (const [values, dtype] of cases) {
    const x = tf.tensor1d(values, dtype);
    const b = tf.cast(x, "bool");
    assert.equal(b.dtype, "bool");
    assert.deepEqual(
      Array.from(await b.data()),
      values.map((v) => (v !== 0 ? 1 : 0)),
      `${dtype} ${values}`,
    );
    tf.dispose([x, b]);
  }
});

test("a variable assigned after a clone keeps the clone's values", async () => {
  const v = tf.variable(tf.tensor1d([1, 2]));
  const saved = tf.clone(v);
  v.assign(tf.tensor1d([7, 8]));
  assert.deepEqual(await saved.array(), [1, 2]);
  assert.deepEqual(await v.array(), [7, 8]);
  tf.dispose([v, saved]);
});

test("gradients through saved tensors are unchanged (mul, sigmoid, batchnorm)", async () => {
  const grads = async (backend: string) => {
    await switchBackend(backend);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(i)),
      [2, 3, 3, 4],
    );
    const g = tf.grad((t: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      const y = tf.batchNorm4d(
        t as tf.Tensor4D,
        mean as tf.Tensor1D,
        variance as tf.Tensor1D,
        tf.fill([4], 0.1) as tf.Tensor1D,
        tf.fill([4], 1.5) as tf.Tensor1D,
        1e-5,
      );
      return tf.sum(tf.mul(y, tf.sigmoid(y)));
    })(x);
    const out = Array.from(await g.data());
    tf.dispose([x, g]);
    return out;
  };
  const cpu = await grads("cpu");
  const wasm = await grads("wasm");
  for (let i = 0; i < cpu.length; i++) assert.ok(Math.abs(cpu[i] - wasm[i]) <= 1e-4, `element ${i}: ${wasm[i]} vs ${cpu[i]}`);
});
