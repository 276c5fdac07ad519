// %shapes through the engine: every tensor, model and array of tensors, the batch check.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cellRunner } from "./run-cell";

const cells = cellRunner();
after(() => cells.engine.shutdown());

before(async () => {
  const r = await cells.run(`
const logits = tf.zeros([32, 10]);
const targets = tf.zeros([64, 10]);
const images = tf.zeros([32, 8, 8, 3], "int32");
const maps = [tf.zeros([32, 4]), tf.zeros([32, 2])];
const batch = { x: tf.zeros([32, 3]), label: "ok" };
const net = lab.smallCnn({ nc: 10 });
const note = "not a tensor";`);
  assert.equal(r.status, "ok", r.evalue);
});

test("%shapes lists tensors, arrays/objects of tensors and models with shape, dtype, bytes, backend", async () => {
  const r = await cells.run("%shapes");
  assert.equal(r.status, "ok", r.evalue);
  const lines = r.displayText.split("\n");
  assert.match(lines[0], /name\s+type\s+shape\s+dtype\s+bytes\s+backend\s+batch\?/);
  const row = (name: string) => lines.find((l) => new RegExp(`^\\s*${name.replace(/[[\]]/g, "\\$&")}\\s`).test(l));
  assert.match(row("logits")!, /Tensor\s+\[32, 10\]\s+float32\s+1\.25 KiB\s+\w+\s+ok/);
  assert.match(row("images")!, /\[32, 8, 8, 3\]\s+int32\s+24\.0 KiB/);
  assert.match(row("maps[1]")!, /\[32, 2\]\s+float32/);
  assert.match(row("batch.x")!, /\[32, 3\]/);
  assert.match(row("net")!, /\(Module\)\s+[\d,]+ params\s+float32/);
  assert.equal(row("note"), undefined, "non-tensor variables are not listed");
});

test("%shapes flags the tensor whose batch dimension disagrees, in text and HTML", async () => {
  const r = await cells.run("%shapes");
  const targetsRow = r.displayText.split("\n").find((l) => /^\s*targets\s/.test(l))!;
  assert.match(targetsRow, /\u26a0 64 \u2260 32/);
  assert.match(r.displayText, /leading dimension differs from the majority \(32\): targets \[64, 10\]/);
  // Exactly one highlighted row in the HTML, and it is targets'.
  const styled = r.html.match(/<tr style="[^"]*background-color[^"]*">[\s\S]*?<\/tr>/g) ?? [];
  assert.equal(styled.length, 1);
  assert.match(styled[0], /targets/);
});

test("%shapes NAMES shows only those; an unknown name is a UsageError naming it", async () => {
  const r = await cells.run("%shapes logits targets");
  assert.equal(r.status, "ok");
  const names = r.displayText
    .split("\n")
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && !n.startsWith("\u26a0"));
  assert.deepEqual(names, ["logits", "targets"]);
  const bad = await cells.run("%shapes logits nosuch");
  assert.equal(bad.ename, "UsageError");
  assert.match(bad.evalue!, /no variable named 'nosuch'/);
  assert.match(bad.evalue!, /Usage: %shapes/);
  const opt = await cells.run("%shapes --wat");
  assert.equal(opt.ename, "UsageError");
});

test("%shapes? shows usage and help", async () => {
  const r = await cells.run("%shapes?");
  assert.match(r.text, /^Usage: %shapes \[NAME \.\.\.\]/);
  assert.match(r.text, /batch\?/);
});
