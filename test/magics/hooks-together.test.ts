// The three users of TensorFlow.js's engine events at once, through the engine: %memory's
// tensor tracker, the toolkit's device-memory model and %%trace (they once patched the
// engine each, coordinated by a comment). The device model starts measuring inside a
// %%trace cell, after %memory began tracking; %%trace leaves first; both others must go on.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { cellRunner } from "./run-cell";
import { subscribeTfHooks, tfHooksInstalled } from "../../src/tfjs/hooks";

const cells = cellRunner();
after(async () => {
  await cells.run("%memory --budget none");
  await cells.engine.shutdown();
});

const MiB = 1024 * 1024;

/** The memory figures a cell printed as JSON on its last line. */
function printedFigures(text: string): { startBytes: number; peakBytes: number; endBytes: number } {
  return JSON.parse(text.trim().split("\n").pop()!);
}

test("device memory measured inside %%trace while %memory tracks: each sees every event once", async () => {
  // Counts how often each Add runs through the dispatcher: the engine must be wrapped once.
  let adds = 0;
  const off = subscribeTfHooks({
    name: "test counter",
    kernelStart: (c) => {
      if (c.name === "Add") adds++;
    },
  });
  try {
    const start = await cells.run("%memory");
    assert.equal(start.status, "ok", start.evalue);
    assert.equal((await cells.run("const x = tf.ones([256, 1024]);")).status, "ok");

    const traced = await cells.run(
      [
        "%%trace",
        "const m = await lab.measureMemory(() => tf.tidy(() => tf.sum(tf.add(x, 1))), { phase: 'traced' });",
        "m.result.dispose();",
        "tf.mul(x, 2);",
        "console.log(JSON.stringify(m.memory));",
      ].join("\n"),
    );
    assert.equal(traced.status, "ok", traced.evalue);
    assert.match(traced.displayText, /^1\s+Add\s+\[256, 1024\], \[\]\s+\[256, 1024\]/m, traced.displayText);
    assert.match(traced.displayText, /^2\s+Sum\s+\[256, 1024\]\s+\[\]/m);
    assert.match(traced.displayText, /^3\s+Multiply\s+\[256, 1024\], \[\]\s+\[256, 1024\]/m);
    // The phase held x, then Add's 1 MiB output and the scalar 1 and Sum's 4 bytes at most.
    const phase = printedFigures(traced.text);
    // (x was made before the device model first measured, so it is not in its figures)
    assert.ok(phase.peakBytes - phase.startBytes >= MiB && phase.peakBytes - phase.startBytes <= MiB + 16, JSON.stringify(phase));
    assert.equal(phase.endBytes - phase.startBytes, 4, "only Sum's scalar is left when the phase ends");
    assert.equal(adds, 1, "one Add, seen once by a subscriber: no second wrapper stacked on the engine");

    // %%trace has left; the tracker still names what the traced cell left behind, by kernel.
    const report = await cells.run("%memory");
    assert.match(
      report.text,
      /^\u26a0 In\[\d+\] left 1 tensor \(1\.00 MiB\) that no variable holds .*: 1 \u00d7 Multiply \[256, 1024\] float32$/m,
      report.text,
    );
    assert.ok(tfHooksInstalled(), "the tracker and the device model keep the engine wrapped");

    // and the device model still measures after %%trace left
    const again = await cells.run(
      "const m2 = await lab.measureMemory(() => tf.tidy(() => tf.sum(tf.mul(x, 3))));\nm2.result.dispose();\nconsole.log(JSON.stringify(m2.memory));",
    );
    assert.equal(again.status, "ok", again.evalue);
    const second = printedFigures(again.text);
    assert.ok(second.peakBytes - second.startBytes >= MiB && second.peakBytes - second.startBytes <= MiB + 16, JSON.stringify(second));
  } finally {
    off();
  }
});

test("a step over the budget inside %%trace fails with the device model's error, freed, while %memory tracks", async () => {
  const before = tf.memory().numTensors;
  const set = await cells.run("%memory --budget 1MiB");
  assert.equal(set.status, "ok", set.evalue);
  const r = await cells.run(
    "%%trace\nawait lab.withMemoryBudget(() => tf.tidy(() => tf.sum(tf.add(tf.ones([512, 1024]), 1))), { phase: 'val' })",
  );
  assert.equal(r.status, "error");
  assert.equal(r.ename, "OutOfMemoryError", r.evalue);
  assert.match(r.evalue!, /failed during val\)$/);
  assert.match(r.text, /%%trace: the cell failed/, r.text);
  assert.equal(tf.memory().numTensors, before, "the failed step's tensors are freed");
  // %memory reports on the cell before it: the failed %%trace cell left nothing behind
  const clear = await cells.run("%memory --budget none");
  assert.equal(clear.status, "ok", clear.evalue);
  assert.match(clear.text, /^In\[\d+\] left no tensors behind\.$/m, clear.text);
});
