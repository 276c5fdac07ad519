// The engine's hooks: what the toolkit does around cells comes from whoever creates the
// engine (src/cli/toolkit-engine.ts for the kernel and the runner), and the engine calls
// each hook at its moment.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEngine, type EngineHooks, type LabEngine } from "../../src/engine";
import { createToolkitEngine, toolkitHooks } from "../../src/cli/toolkit-engine";
import { interruptSignal } from "../../src/toolkit/interrupt";
import { RecordingSink } from "../helpers/recording-sink";

const engines: LabEngine[] = [];
after(async () => {
  for (const e of engines) await e.shutdown();
});

function engineWith(hooks: EngineHooks) {
  const log: string[] = [];
  const engine = createEngine({ cwd: os.tmpdir(), log: (l) => log.push(l), hooks });
  engines.push(engine);
  const run = async (code: string) => {
    const sink = new RecordingSink();
    const reply = await engine.execute(code, sink);
    return { sink, reply };
  };
  return { engine, run, log };
}

const calls = { beforeFirstCell: 0, afterInterrupt: 0 };
const hooked = engineWith({
  async beforeFirstCell(log) {
    calls.beforeFirstCell++;
    await new Promise((r) => setTimeout(r, 50));
    (globalThis as { __hookReady?: boolean }).__hookReady = true;
    log("first-cell hook ran");
  },
  afterInterrupt() {
    calls.afterInterrupt++;
    return "repaired what the cell left";
  },
  frameLibrary: (frame) => (frame.includes("fake-lib") ? "fake-lib" : undefined),
});

test("beforeFirstCell runs once, and is finished before the first cell starts", async () => {
  const first = await hooked.run("(globalThis as any).__hookReady");
  assert.equal(first.sink.result(), "true");
  await hooked.run("1 + 1");
  assert.equal(calls.beforeFirstCell, 1);
  assert.ok(hooked.log.includes("first-cell hook ran"), hooked.log.join("\n"));
});

test("afterInterrupt runs after an interrupted cell, and what it says goes to the log", async () => {
  const running = hooked.run("await new Promise((r) => setTimeout(r, 20_000));");
  await new Promise((r) => setTimeout(r, 200));
  hooked.engine.interrupt();
  const { reply } = await running;
  assert.equal((reply as { ename?: string }).ename, "KeyboardInterrupt");
  assert.equal(calls.afterInterrupt, 1);
  assert.ok(hooked.log.includes("interrupt: repaired what the cell left"), hooked.log.join("\n"));
  // a cell that fails otherwise does not call it
  await hooked.run("throw new Error('plain failure')");
  assert.equal(calls.afterInterrupt, 1);
});

test("frameLibrary: a run of frames in a library the hook names collapses to its first and a count", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-lib-"));
  const lib = path.join(dir, "deep.js");
  fs.writeFileSync(
    lib,
    "function c() { throw new RangeError('deep inside'); }\nfunction b() { c(); }\nexports.a = function a() { b(); };\n",
  );
  const { reply } = await hooked.run(`const deep = require(${JSON.stringify(lib)});\ndeep.a();`);
  assert.equal(reply.status, "error");
  const traceback = (reply as { traceback: string[] }).traceback.join("\n");
  assert.match(traceback, /at c \(.*fake-lib.*deep\.js:1:\d+\)\n\s+\.\.\. 2 more frames in fake-lib\n/);
  assert.match(traceback, /In\[\d+\]:2:\d+/);
});

test("a hook that fails is logged and cells still run", async () => {
  const broken = engineWith({
    beforeFirstCell() {
      throw new Error("no backend today");
    },
    afterInterrupt() {
      throw new Error("could not repair");
    },
  });
  const { sink, reply } = await broken.run("2 * 21");
  assert.equal(reply.status, "ok");
  assert.equal(sink.result(), "42");
  assert.ok(
    broken.log.some((l) => /before the first cell: no backend today/.test(l)),
    broken.log.join("\n"),
  );
});

test("the toolkit's hooks: frames in tfjs-lab's own TensorFlow.js layer collapse, the toolkit's own do not", () => {
  assert.equal(
    toolkitHooks.frameLibrary!("    at wasmConv (/opt/lab/dist/src/tfjs/wasm-kernels/conv.js:10:5)"),
    "tfjs-lab's backend kernels",
  );
  assert.equal(toolkitHooks.frameLibrary!("    at Conv.forward (/opt/lab/dist/src/toolkit/nn/conv.js:10:5)"), undefined);
  assert.equal(toolkitHooks.afterInterrupt!(), undefined, "nothing to repair when no scope was left open");
});

test("the toolkit engine hands its interrupts to the toolkit: a running cell's signal is what toolkit loops obey", async () => {
  const engine = createToolkitEngine({ cwd: os.tmpdir(), log: () => {} });
  engines.push(engine);
  // waits until the cell itself runs (its backend chosen, its code compiled)
  let started!: () => void;
  const cellStarted = new Promise<void>((r) => {
    started = r;
  });
  const sink = new RecordingSink();
  sink.stream = () => started();
  const running = engine.execute("console.log('started');\nawait new Promise((r) => setTimeout(r, 20_000));", sink);
  await cellStarted;
  const signal = interruptSignal();
  assert.ok(signal && !signal.aborted);
  engine.interrupt();
  assert.equal(signal.aborted, true);
  assert.equal((await running).status, "error");
});
