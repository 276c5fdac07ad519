// Tracebacks point at the TypeScript the user wrote: line and column of the cell's source,
// with that line shown under the frame, however the compiled JavaScript was laid out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { pairTokens } from "../../src/engine/source-positions";
import { RecordingSink } from "../helpers/recording-sink";

let engine: LabEngine;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-positions-"));

before(() => {
  engine = createToolkitEngine({ cwd, log: () => {} });
});
after(async () => {
  await engine.shutdown();
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** Runs a cell that must fail; returns its traceback and its cell name (In[n]). */
async function tracebackOf(code: string): Promise<{ traceback: string[]; cell: string }> {
  const sink = new RecordingSink();
  const reply = await engine.execute(code, sink);
  assert.equal(reply.status, "error", `expected an error from:\n${code}`);
  const err = sink.events.find((e) => e.type === "error");
  assert.ok(err, "an error output");
  return { traceback: err.traceback as string[], cell: `In[${reply.execution_count}]` };
}

/** The frames of `cell` as [line, column, the source line shown under it]. */
function cellFrames(traceback: string[], cell: string): [number, number, string][] {
  const out: [number, number, string][] = [];
  traceback.forEach((l, i) => {
    const m = new RegExp(`${cell.replace(/[[\]]/g, "\\$&")}:(\\d+):(\\d+)\\)?$`).exec(l);
    if (m) out.push([Number(m[1]), Number(m[2]), (traceback[i + 1] ?? "").trim()]);
  });
  return out;
}

test("a throw inside a function: the frames give the TypeScript lines and columns", async () => {
  const code = [
    "const a: number = 1;",
    "function f(n: number): number {",
    '  if (n > 0) throw new Error("boom " + n);',
    "  return n;",
    "}",
    "const b: number = 2;",
    "f(a + b);",
  ].join("\n");
  const { traceback, cell } = await tracebackOf(code);
  assert.equal(traceback[0], "Error: boom 3");
  assert.deepEqual(cellFrames(traceback, cell), [
    [3, 20, 'if (n > 0) throw new Error("boom " + n);'],
    [7, 1, "f(a + b);"],
  ]);
});

test("types, interfaces and blank lines before the throw do not shift the position", async () => {
  const code = [
    "interface Box {",
    "  w: number;",
    "  h: number;",
    "}",
    "",
    "type Pair = [number, number];",
    "const boxes: Box[] = [{ w: 1, h: 2 }, { w: -1, h: 3 }];",
    "const pairs: Pair[] = boxes.map((b: Box): Pair => {",
    "  if (b.w < 0) throw new RangeError(`negative width ${b.w}`);",
    "  return [b.w, b.h];",
    "});",
  ].join("\n");
  const { traceback, cell } = await tracebackOf(code);
  assert.equal(traceback[0], "RangeError: negative width -1");
  const frames = cellFrames(traceback, cell);
  assert.deepEqual(frames[0], [9, 22, "if (b.w < 0) throw new RangeError(`negative width ${b.w}`);"]);
  assert.equal(frames.at(-1)![0], 8, "the map() call's line");
});

test("a top-level loop (rewritten to keep its variables local) and an await before the throw", async () => {
  const code = [
    "let total: number = 0;",
    "for (let i = 0; i < 10; i++) {",
    "  total += i;",
    "}",
    "await new Promise((r) => setTimeout(r, 1));",
    "const ratio: number = total / 0;",
    "if (!Number.isFinite(ratio)) throw new Error(`ratio is ${ratio}`);",
  ].join("\n");
  const { traceback, cell } = await tracebackOf(code);
  assert.equal(traceback[0], "Error: ratio is Infinity");
  assert.deepEqual(cellFrames(traceback, cell)[0], [7, 36, "if (!Number.isFinite(ratio)) throw new Error(`ratio is ${ratio}`);"]);
});

test("a function defined in one cell and failing when called from another maps each frame to its own cell", async () => {
  const defining = await engine.execute(
    [
      "// helpers",
      "function checkShape(shape: number[]): void {",
      "  if (shape.length !== 4) {",
      "    throw new TypeError(`expected rank 4, got ${shape.length}`);",
      "  }",
      "}",
    ].join("\n"),
    new RecordingSink(),
  );
  assert.equal(defining.status, "ok");
  const { traceback, cell } = await tracebackOf("const s: number[] = [1, 2];\ncheckShape(s);");
  assert.deepEqual(cellFrames(traceback, `In[${defining.execution_count}]`), [
    [4, 11, "throw new TypeError(`expected rank 4, got ${shape.length}`);"],
  ]);
  assert.deepEqual(cellFrames(traceback, cell), [[2, 1, "checkShape(s);"]]);
});

test("the token pairing is a minimal diff: erased types and inserted lines leave the rest paired", () => {
  const js = "const a = 1 ; exports . a = a ; f ( a )".split(" ");
  const ts = "const a : number = 1 ; f ( a )".split(" ");
  const pairs = Array.from(pairTokens(js, ts)!);
  // const a = 1 ; pair with const a (skip ": number") = 1 ;, the export line is unpaired, f ( a ) pair.
  assert.deepEqual(pairs, [0, 1, 4, 5, 6, -1, -1, -1, -1, -1, -1, 7, 8, 9, 10]);
  assert.equal(pairTokens(["a", "b"], ["c", "d"], 1), undefined, "past the edit limit: no pairing");
});

test("code after a magic line, and a %%time body: lines count from the top of the cell", async () => {
  const afterMagic = await tracebackOf(
    ["%env TFJS_LAB_POSITIONS_TEST=1", "const n: number = 2;", "throw new Error(`after the magic ${n}`);"].join("\n"),
  );
  assert.deepEqual(cellFrames(afterMagic.traceback, afterMagic.cell), [[3, 7, "throw new Error(`after the magic ${n}`);"]]);
  const timed = await tracebackOf(["%%time", "const k: number = 1;", "", "throw new Error(`timed ${k}`);"].join("\n"));
  assert.deepEqual(cellFrames(timed.traceback, timed.cell), [[4, 7, "throw new Error(`timed ${k}`);"]]);
});

test("%timeit and %%timeit (which wrap the code in a function) report the cell's lines", async () => {
  const cellMagic = await tracebackOf(
    ["%%timeit -n 1 -r 1", "const z: number = 1;", "throw new Error(`in the timed body ${z}`);"].join("\n"),
  );
  assert.deepEqual(cellFrames(cellMagic.traceback, cellMagic.cell), [[3, 7, "throw new Error(`in the timed body ${z}`);"]]);
  const lineMagic = await tracebackOf("const q: number = 1;\n%timeit -n 1 -r 1 JSON.parse('{')");
  assert.equal(cellFrames(lineMagic.traceback, lineMagic.cell)[0][0], 2, lineMagic.traceback.join("\n"));
});

test("a cell split by a magic line: a function from the first part fails in the second", async () => {
  const { traceback, cell } = await tracebackOf(
    [
      "function half(n: number): number {",
      "  if (n % 2) throw new RangeError(`odd: ${n}`);",
      "  return n / 2;",
      "}",
      "%env TFJS_LAB_POSITIONS_TEST=2",
      "const h: number = half(3);",
    ].join("\n"),
  );
  assert.deepEqual(cellFrames(traceback, cell), [
    [2, 20, "if (n % 2) throw new RangeError(`odd: ${n}`);"],
    [6, 19, "const h: number = half(3);"],
  ]);
  assert.ok(!traceback.some((l) => /In\[\d+\]~/.test(l)), `no internal script names: ${traceback.join("\n")}`);
});

test("a type error after a magic line is reported at its line in the cell", async () => {
  const sink = new RecordingSink();
  const reply = await engine.execute("%env TFJS_LAB_POSITIONS_TEST=3\n\nconst wrong: number = 'text';", sink);
  assert.equal(reply.status, "error");
  assert.match(
    (reply as { evalue?: string }).evalue ?? "",
    new RegExp(`^In\\[${reply.execution_count}\\]:3:7 - Type 'string' is not assignable to type 'number'`),
  );
});

test("an error raised deep inside TensorFlow.js still shows the cell's line; library frames are counted, not listed", async () => {
  const { traceback, cell } = await tracebackOf(
    "const a = tf.ones([2, 3]);\nconst b = tf.ones([4, 5]);\nconst c = tf.tidy(() => tf.add(a, b));",
  );
  assert.equal(traceback[0], "Error: Operands could not be broadcast together with shapes 2,3 and 4,5.");
  assert.match(traceback[1], /^\s+at .*assertAndGetBroadcastShape .*@tensorflow[\\/]tfjs-core/, "the frame that raised it comes first");
  assert.match(traceback.join("\n"), /\n\s+\.\.\. \d+ more frames in [^\n]*@tensorflow\/tfjs-core/);
  assert.deepEqual(cellFrames(traceback, cell)[0], [3, 28, "const c = tf.tidy(() => tf.add(a, b));"]);
  assert.ok(traceback.length < 12, `short enough to read:\n${traceback.join("\n")}`);
});
