// Interrupts through the engine alone: the shared flag raised from another thread (as the
// kernel's control worker does), loops that never let the event loop turn, code of an
// interrupted cell that would go on later, and the instrumentation itself.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { Worker } from "node:worker_threads";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { processInterruptFlag } from "../../src/engine/interrupt-flag";
import { insertInterruptChecks, transformCell } from "../../src/engine/cell-transforms";
import { RecordingSink } from "../helpers/recording-sink";

const engine = createToolkitEngine({ cwd: os.tmpdir() });
after(() => engine.shutdown());
const run = async (code: string) => {
  const sink = new RecordingSink();
  const reply = await engine.execute(code, sink);
  return { sink, reply };
};
const value = async (expr: string) => (await run(expr)).sink.result();

/**
 * Raises the process's interrupt flag from a worker thread, as the control worker does: `ms`
 * after the returned `go()` is called (from anywhere, even cell code that never yields).
 */
function interrupterThread(ms: number): { go: () => void; done: Promise<void> } {
  const go = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(
    `const { workerData } = require("worker_threads");
     const counts = new Int32Array(workerData.buffer);
     Atomics.wait(workerData.go, 0, 0);
     setTimeout(() => Atomics.add(counts, 0, 1), workerData.ms);`,
    { eval: true, workerData: { buffer: processInterruptFlag.buffer, go, ms } },
  );
  const done = new Promise<void>((resolve) => w.once("exit", () => resolve()));
  return {
    go: () => {
      Atomics.store(go, 0, 1);
      Atomics.notify(go, 0);
    },
    done,
  };
}

/** Raises the flag `ms` from now. */
function raiseFromAnotherThread(ms: number): Promise<void> {
  const t = interrupterThread(ms);
  t.go();
  return t.done;
}

test("instrumentation: a check at the top of every loop body and after every await", () => {
  const instrumentInterrupts = (js: string) => transformCell(js, new Set(), [insertInterruptChecks]).js;
  const check = "if (__lab_flag[0] !== __lab_flag[2]) __lab_tick();";
  assert.equal(instrumentInterrupts("const a = 1;"), "const a = 1;");
  assert.equal(instrumentInterrupts("while (x) y();"), `while (x) { ${check} y(); }`);
  assert.equal(instrumentInterrupts("for (;;) { f(); }"), `for (;;) { ${check} f(); }`);
  // a loop that calls nothing at the top of a cell that never waits is left bare (SIGINT
  // stops it); in a function or a cell that waits, SIGINT may not reach it
  assert.equal(instrumentInterrupts("for (let i = 0; i < n; i++) x += i;"), "for (let i = 0; i < n; i++) x += i;");
  assert.equal(instrumentInterrupts("while (true) {}"), "while (true) {}");
  assert.equal(instrumentInterrupts("const f = () => { while (true) {} };"), `const f = () => { while (true) { ${check}} };`);
  assert.equal(instrumentInterrupts("while (true) {}\nawait p;"), `while (true) { ${check}}\n__lab_resume(await p);`);
  assert.equal(
    instrumentInterrupts("async function g() { await p; }\nwhile (true) {}"),
    "async function g() { __lab_resume(await p); }\nwhile (true) {}",
  );
  assert.equal(instrumentInterrupts("for (const v of xs) s += v;"), `for (const v of xs) { ${check} s += v; }`);
  assert.equal(instrumentInterrupts("for (;;) { for (;;) k++; g(); }"), `for (;;) { ${check} for (;;) k++; g(); }`);
  assert.equal(instrumentInterrupts("const v = await p;"), "const v = __lab_resume(await p);");
  assert.equal(instrumentInterrupts("while (x) await p;"), `while (x) { ${check} __lab_resume(await p); }`);
  assert.equal(instrumentInterrupts("await f(await g());"), "__lab_resume(await f(__lab_resume(await g())));");
  assert.equal(instrumentInterrupts("for await (const v of it) use(v);"), "for await (const v of it) { __lab_resume(); use(v); }");
  assert.equal(
    instrumentInterrupts("async function f() { do { await s(); } while (1); }"),
    `async function f() { do { ${check} __lab_resume(await s()); } while (1); }`,
  );
});

test("a loop whose awaits resolve as microtasks stops when another thread raises the flag", { timeout: 60_000 }, async () => {
  await run("let spins = 0; const kept = 'still here';");
  const raised = raiseFromAnotherThread(150);
  // never yields to the event loop: no timer, no signal handler could run in between
  const { reply } = await run("for (;;) { spins++; await Promise.resolve(); }");
  await raised;
  assert.equal(reply.status, "error");
  assert.equal((reply as { ename?: string }).ename, "KeyboardInterrupt");
  assert.ok(Number(await value("spins")) > 0);
  assert.equal(await value("kept"), "'still here'");
});

test("a blocking loop stops between iterations: its per-iteration tensors are freed", { timeout: 60_000 }, async () => {
  await run("const base = tf.memory().numTensors;");
  const raised = raiseFromAnotherThread(150);
  const { reply } = await run("for (;;) { const t = tf.ones([4]); t.add(1).dispose(); t.dispose(); }");
  await raised;
  assert.equal((reply as { ename?: string }).ename, "KeyboardInterrupt");
  assert.equal(await value("tf.memory().numTensors - base"), "0");
});

test("code of an interrupted cell does not go on in the background", { timeout: 60_000 }, async () => {
  await run("let ticks = 0;");
  setTimeout(() => engine.interrupt(), 100);
  const { reply } = await run("for (;;) { await new Promise((r) => setTimeout(r, 5)); ticks++; }");
  assert.equal((reply as { ename?: string }).ename, "KeyboardInterrupt");
  const first = Number(await value("ticks"));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(Number(await value("ticks")), first);
});

test("the Trainer started by a cell stops at the interrupt and frees the step's tensors", { timeout: 60_000 }, async () => {
  await run(`const m = lab.smallCnn({ nc: 2, channels: [4] });
function* endless() { for (;;) yield tf.tidy(() => ({ images: tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D, labels: tf.oneHot(tf.tensor1d([0, 1], "int32"), 2) })); }
const ce = (out: unknown, b: { labels: tf.Tensor }) => tf.losses.softmaxCrossEntropy(b.labels, out as tf.Tensor) as tf.Scalar;
let steps = 0;
const before = tf.memory().numTensors;`);
  // the interrupt lands 50 ms after the third step, wherever the loop is by then
  const interrupter = interrupterThread(50);
  (globalThis as { afterThirdStep?: () => void }).afterThirdStep = interrupter.go;
  const { reply } = await run(`const tr = new lab.Trainer({ model: m, data: endless(), loss: ce, epochs: 1, nbs: null });
tr.on("batch", () => { if (++steps === 3) (globalThis as any).afterThirdStep(); });
try { await tr.fit(); } finally { tr.dispose(); }`);
  await interrupter.done;
  assert.equal((reply as { ename?: string }).ename, "KeyboardInterrupt");
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(Number(await value("steps")) >= 3);
  assert.equal(await value("tf.memory().numTensors - before"), "0");
});
