// %%trace through the engine: the kernel table, toolkit calls among the kernels, and the
// diagnosis of a failing cell (the loss call, both shapes, the variables that fed it),
// with the cell's own error raised unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cellRunner } from "./run-cell";

const cells = cellRunner();
after(() => cells.engine.shutdown());

before(async () => {
  const r = await cells.run("const logits = tf.randomNormal([32, 10]);\nconst targets = tf.randomUniform([64, 10]);");
  assert.equal(r.status, "ok", r.evalue);
});

test("%%trace on [64, C] targets fed to [32, C] logits names the loss call, both shapes and the variables", async () => {
  const r = await cells.run("%%trace\nconst probs = tf.softmax(logits);\nconst loss = lab.crossEntropy(logits, targets);");
  // The cell's own error, unchanged (the notebooks' raises-exception cells rely on it).
  assert.equal(r.status, "error");
  assert.equal(r.ename, "ValueError");
  assert.equal(r.evalue, "Expected input batch_size (32) to match target batch_size (64).");
  assert.match(r.text, /^%%trace: the cell failed in crossEntropy\(logits \[32, 10\], target \[64, 10\]\)$/m);
  assert.match(r.text, /^ {2}logits \[32, 10\] float32: `logits`$/m);
  assert.match(r.text, /^ {2}target \[64, 10\] float32: `targets`$/m);
  assert.match(r.text, /leading \(batch\) dimensions disagree: logits 32 vs target 64/);
  // The table: the Softmax kernel, then the failing call, highlighted.
  const rows = r.displayText.split("\n");
  assert.match(rows.find((l) => /Softmax/.test(l))!, /^\s*1\s+Softmax\s+\[32, 10\]\s+\[32, 10\]/);
  assert.match(
    rows.find((l) => /crossEntropy/.test(l))!,
    /call\s+crossEntropy\(logits \[32, 10\], target \[64, 10\]\)\s+\[32, 10\], \[64, 10\]\s+\u2717 ValueError/,
  );
  const styled = r.html.match(/<tr style="[^"]*background-color[^"]*">[\s\S]*?<\/tr>/g) ?? [];
  assert.equal(styled.length, 1);
  assert.match(styled[0], /crossEntropy/);
  // The losses are unwrapped again afterwards.
  const name = await cells.run("lab.crossEntropy.toString().startsWith('function crossEntropy(')");
  assert.equal(name.sink.result(), "true");
});

test("%%trace names the failing kernel and its inputs' variables when a tfjs op fails", async () => {
  const r = await cells.run("%%trace\nconst sum = tf.add(logits, targets);");
  assert.equal(r.ename, "Error");
  assert.match(r.evalue!, /Operands could not be broadcast together with shapes 32,10 and 64,10/);
  assert.match(r.text, /the cell failed in kernel Add\(\[32, 10\], \[64, 10\]\)/);
  assert.match(r.text, /input a \[32, 10\] float32: `logits`/);
  assert.match(r.text, /input b \[64, 10\] float32: `targets`/);
  // Profiling is off again: later cells run normally.
  const next = await cells.run("tf.add(logits, 1).shape");
  assert.equal(next.sink.result(), "[ 32, 10 ]");
});

test("%%trace of a working cell: kernels with shapes, model forward calls, the cell's value", async () => {
  await cells.run("const net = lab.smallCnn({ nc: 10 });");
  const r = await cells.run("%%trace\nconst out = net.forward(tf.zeros([2, 16, 16, 3]));\nout.shape");
  assert.equal(r.status, "ok", r.evalue);
  assert.equal(r.sink.result(), "[ 2, 10 ]");
  assert.match(r.displayText, /call\s+net\.forward\(x \[2, 16, 16, 3\]\)\s+\[2, 16, 16, 3\]\s+\[2, 10\]/);
  assert.match(r.displayText, /\bConv2D\s+\[2, 16, 16, 3\], \[3, 3, 3, 16\]/);
  assert.match(r.displayText, /^\d+ kernels, 1 toolkit calls in [\d.]+ ms/m);
});

test("%%trace merges repeated kernels past 200 rows", async () => {
  const r = await cells.run("%%trace\nfor (let i = 0; i < 300; i++) tf.tidy(() => tf.add(logits, 1));");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.displayText, /^300 kernels, 0 toolkit calls/m);
  assert.match(r.displayText, /identical kernels merged/);
  assert.match(r.displayText, /^\s*1\s+Add\s+300\s+\[32, 10\], \[\]\s+\[32, 10\]/m);
});

test("%%trace: usage errors", async () => {
  const empty = await cells.run("%%trace\n");
  assert.equal(empty.ename, "UsageError");
  assert.match(empty.evalue!, /no code to trace/);
  const bad = await cells.run("%%trace --nope\n1");
  assert.equal(bad.ename, "UsageError");
  const line = await cells.run("%trace 1");
  assert.equal(line.ename, "UsageError");
  assert.match(line.evalue!, /%%trace is a cell magic/);
  const help = await cells.run("%trace?");
  assert.match(help.text, /^Usage: %%trace/);
});
