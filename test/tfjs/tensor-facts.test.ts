// What the tfjs layer says about a tensor: its bytes (one function for the whole project,
// dtype-aware) and the backend that holds its data (not the active one), as the tensor
// display, %who and %shapes show them; and the scope recovery the engine calls after an
// interrupt.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "../../src/tfjs"; // registers tfjs-lab's wasm backend
import { tensorBytes } from "../../src/tfjs/tensor-bytes";
import { backendOf } from "../../src/tfjs/internals";
import { closeAbandonedTfScopes, discardAbandonedTape } from "../../src/tfjs/scope-recovery";
import { tensorHeader } from "../../src/display";
import { cellRunner } from "../magics/run-cell";

const cells = cellRunner();
after(() => cells.engine.shutdown());

test("tensorBytes: bytes per element as TensorFlow.js stores them, bool 1, strings as the engine counts them", async () => {
  await tf.setBackend("cpu");
  const cases: [tf.Tensor, number][] = [
    [tf.zeros([2, 3], "float32"), 24],
    [tf.zeros([2, 3], "int32"), 24],
    [tf.zeros([2, 3], "bool"), 6],
    [tf.complex(tf.zeros([5]), tf.ones([5])), 40],
  ];
  for (const [t, bytes] of cases) {
    assert.equal(tensorBytes(t), bytes, t.dtype);
    assert.equal(tensorBytes(t), t.size * tf.util.bytesPerElement(t.dtype), `agrees with tf.util for ${t.dtype}`);
  }
  const before = tf.memory().numBytes;
  const s = tf.tensor1d(["ab", "cdé"], "string");
  assert.equal(tensorBytes(s), tf.memory().numBytes - before, "what the engine counted for the strings");
  assert.ok(tensorBytes(s) > 0);
  s.dispose();
  assert.equal(tensorBytes(s), 0, "a disposed string tensor holds nothing");
  assert.match(tensorHeader(cases[2][0]), /^Tensor bool \[2, 3\] 6 B on cpu$/, "the display counts bool as 1 byte (it said 24 B)");
  for (const [t] of cases) t.dispose();
});

test("backendOf names the backend that holds the tensor's data, also after the active one changed", async () => {
  await tf.setBackend("cpu");
  const onCpu = tf.ones([4]);
  await tf.setBackend("wasm");
  const onWasm = tf.ones([4]);
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(backendOf(onCpu), "cpu");
  assert.equal(backendOf(onWasm), "wasm");
  assert.match(tensorHeader(onCpu), / on cpu$/, "the display no longer says the active backend");
  assert.match(tensorHeader(onWasm), / on wasm$/);
  // A kernel on wasm that reads it moves the data, and the engine says so.
  tf.add(onCpu, 1).dispose();
  assert.equal(backendOf(onCpu), "wasm");
  onCpu.dispose();
  assert.equal(backendOf(onCpu), "(disposed)");
  onWasm.dispose();
});

test("%who and %shapes show bool tensors at 1 byte an element and each tensor's own backend", async () => {
  const made = await cells.run(
    "await tf.setBackend('cpu');\nconst mask = tf.zeros([10, 10], 'bool');\nawait tf.setBackend('wasm');\nconst w = tf.ones([3]);",
  );
  assert.equal(made.status, "ok", made.evalue);
  const who = await cells.run("%whos");
  assert.match(who.text + who.displayText, /mask\b.*bool \[10, 10\], 100 B/, who.text + who.displayText);
  const shapes = await cells.run("%shapes");
  const table = shapes.text + shapes.displayText;
  assert.match(table, /^\s*mask\s+Tensor\s+\[10, 10\]\s+bool\s+100 B\s+cpu\b/m, table);
  assert.match(table, /^\s*w\s+Tensor\s+\[3\]\s+float32\s+12 B\s+wasm\b/m, table);
});

test("scope recovery closes the scopes and the tape an interrupted step left open", async () => {
  await tf.setBackend("cpu");
  const engine = tf.engine();
  const before = tf.memory().numTensors;
  // what a tidy cut short by SIGINT leaves: two scopes open, tensors tracked in them
  engine.startScope("interrupted outer");
  tf.ones([8]);
  engine.startScope("interrupted inner");
  tf.ones([8]).add(1);
  assert.ok(tf.memory().numTensors > before);
  assert.equal(closeAbandonedTfScopes(), 2);
  assert.equal(tf.memory().numTensors, before, "the scopes' tensors were disposed");
  assert.equal(closeAbandonedTfScopes(), 0, "nothing left to close");
  // a gradient that threw leaves its tape and saved tensors; discardAbandonedTape frees them
  const x = tf.variable(tf.ones([4]));
  const tensorsBefore = tf.memory().numTensors;
  assert.throws(() =>
    tf.variableGrads(() => {
      tf.mul(x, 2).sum();
      throw new Error("step failed");
    }),
  );
  discardAbandonedTape();
  const state = (engine as unknown as { state: { activeTape: unknown; gradientDepth: number } }).state;
  assert.equal(state.activeTape, null);
  assert.ok(tf.memory().numTensors <= tensorsBefore + 2, `at most the scalar constants stay: ${tf.memory().numTensors - tensorsBefore}`);
  x.dispose();
});
