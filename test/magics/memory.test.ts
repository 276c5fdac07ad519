// %memory and %memit through the engine: live tensors, peak, the change since the last
// call, what the previous cell leaked or kept, --budget, and memory_profiler's line.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { cellRunner } from "./run-cell";

const cells = cellRunner();
after(async () => {
  await cells.run("%memory --budget none");
  await cells.engine.shutdown();
});

test("%memory reports live tensors, peak, RSS and starts tracking", async () => {
  const r = await cells.run("%memory --reset");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.text, /^Live tensors: [\d,]+ \([\d.]+ (B|KiB|MiB|GiB)\) on \w+$/m);
  assert.match(r.text, /^Peak tensor bytes since now \((reset|tracking starts)\): /m);
  assert.match(r.text, /^Process RSS: [\d.]+ (MiB|GiB)/m);
});

test("%memory names the tensors the previous cell leaked (kernel and shape) and those it kept", async () => {
  const made = await cells.run(
    "const kept = tf.ones([256, 1024]);\ntf.add(kept, 1);\ntf.mul(kept, 2);\nconst fine = tf.tidy(() => tf.sum(tf.add(kept, 3)));",
  );
  assert.equal(made.status, "ok", made.evalue);
  const r = await cells.run("%memory");
  assert.match(
    r.text,
    /^\u26a0 In\[\d+\] left 2 tensors \(2\.00 MiB\) that no variable holds and nothing disposed \(use tf\.tidy or dispose\(\)\): 1 \u00d7 Add \[256, 1024\] float32, 1 \u00d7 Multiply \[256, 1024\] float32$/m,
  );
  assert.match(r.text, /^In\[\d+\] kept kept \(1 tensor, 1\.00 MiB\), fine \(1 tensor, 4 B\)$/m);
  assert.match(r.text, /^Change since %memory in In\[\d+\]: \+4 tensors, \+3\.00 MiB; RSS [+-]/m);
  assert.match(r.text, /^Peak tensor bytes since reset: 4\.00 MiB$/m, "kept + two leaks + tidy's intermediate");
  const clean = await cells.run("1 + 1");
  assert.equal(clean.status, "ok");
  const again = await cells.run("%memory");
  assert.match(again.text, /^In\[\d+\] left no tensors behind\.$/m);
  assert.match(again.text, /^Change since %memory in In\[\d+\]: \+0 tensors, \+0 B/m);
});

test("%memory --budget sets and clears the toolkit's device-memory budget", async () => {
  const set = await cells.run("%memory --budget 16GiB");
  assert.match(set.text, /^Device-memory budget set to 16\.0 GiB/m);
  assert.match(set.text, /^Device-memory budget: 16\.0 GiB \(simulated\)$/m);
  const read = await cells.run("lab.memoryBudget()");
  assert.equal(read.sink.result(), String(16 * 2 ** 30));
  const cleared = await cells.run("%memory --budget none");
  assert.match(cleared.text, /^Device-memory budget cleared/m);
  assert.equal((await cells.run("lab.memoryBudget()")).sink.result(), "null");
});

test("%memory: bad arguments are UsageErrors", async () => {
  for (const [code, pattern] of [
    ["%memory --budget 12parsecs", /--budget: cannot read memory size "12parsecs"/],
    ["%memory --budget", /argument missing|--budget/],
    ["%memory extra", /Unexpected argument|unexpected/i],
    ["%memory --frobnicate", /unknown option '--frobnicate'/],
  ] as const) {
    const r = await cells.run(code);
    assert.equal(r.ename, "UsageError", code);
    assert.match(r.evalue!, pattern, code);
    assert.match(r.evalue!, /Usage: %memory/, code);
  }
});

test("%%memit prints memory_profiler's line: peak and increment of tensor memory", async () => {
  const r = await cells.run(
    "%%memit\nconst big = tf.zeros([1024, 1024]);\nconst twice = tf.tidy(() => tf.add(big, 1).mul(2));\ntwice.shape",
  );
  assert.equal(r.status, "ok", r.evalue);
  assert.equal(r.sink.result(), "[ 1024, 1024 ]");
  const m = /^peak memory: ([\d.]+) MiB, increment: ([\d.]+) MiB$/m.exec(r.text);
  assert.ok(m, r.text);
  // big (4 MiB) + add's output (4) + mul's output (4) at once; tidy frees the add.
  assert.equal(m![2], "12.00");
  assert.match(r.text, /^kept: \+2 tensors \(\+8\.00 MiB\); process RSS/m);
  const line = await cells.run("%memit tf.ones([256, 1024]).dispose()");
  assert.match(line.text, /^peak memory: [\d.]+ MiB, increment: 1\.00 MiB$/m);
  assert.match(line.text, /^kept: \+0 tensors/m);
  const empty = await cells.run("%memit");
  assert.equal(empty.ename, "UsageError");
});
