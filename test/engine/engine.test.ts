// The engine through its public interface: results, errors, display, attribution, history.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { RecordingSink } from "../helpers/recording-sink";

let engine: LabEngine;
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-engine-"));

async function run(code: string, inputs: string[] = []) {
  const sink = new RecordingSink(inputs);
  const reply = await engine.execute(code, sink);
  return { sink, reply };
}

before(async () => {
  // A notebook folder with no node_modules: preloaded and imported packages come from the kernel.
  fs.writeFileSync(path.join(cwd, "helper.ts"), "export const answer: number = 42;\n");
  engine = createToolkitEngine({ cwd, log: () => {} });
});
after(async () => {
  await engine.shutdown();
  fs.rmSync(cwd, { recursive: true, force: true });
});

test("a cell's last expression is its execute_result, with the execution count", async () => {
  const { sink, reply } = await run("const a = 20;\na * 2 + 2");
  assert.equal(reply.status, "ok");
  assert.equal(sink.result(), "42");
  const r = sink.events.find((e) => e.type === "execute_result")!;
  assert.equal(r.executionCount, reply.execution_count);
  const next = await run("a");
  assert.equal(next.reply.execution_count, reply.execution_count + 1);
});

test("errors carry the thrown error's name and message", async () => {
  const { sink, reply } = await run(
    "class ValueError extends Error { name = 'ValueError' }\nthrow new ValueError('Expected input batch_size (32) to match target batch_size (64).')",
  );
  assert.equal(reply.status, "error");
  assert.equal((reply as any).ename, "ValueError");
  assert.equal((reply as any).evalue, "Expected input batch_size (32) to match target batch_size (64).");
  const err = sink.events.find((e) => e.type === "error")!;
  assert.equal(err.ename, "ValueError");
  assert.match((err.traceback as string[])[0], /^ValueError: Expected input/);
});

test("type errors are reported as CompileError with the cell position, and nothing runs", async () => {
  const { reply } = await run("let ran = true;\nconst n: number = 'text';");
  assert.equal(reply.status, "error");
  assert.equal((reply as any).ename, "CompileError");
  assert.match((reply as any).evalue, /In\[\d+\]:2:7 - Type 'string' is not assignable to type 'number'/);
  const check = await run("typeof (globalThis as any).ran");
  assert.equal(check.sink.result(), "'undefined'");
});

test("preloaded tf, aq and lab work and type-check from a folder without node_modules", async () => {
  const { sink, reply } = await run(
    "const t = tf.tensor2d([[1, 2], [3, 4]]);\nconst tbl = aq.table({ x: [1, 2, 3] });\n[t.shape.join('x'), tbl.numRows(), typeof lab]",
  );
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "[ '2x2', 3, 'object' ]");
});

test("imports resolve from the notebook's folder and from the kernel's packages", async () => {
  const { sink, reply } = await run(
    'import { answer } from "./helper";\nimport * as tfjs from "@tensorflow/tfjs";\n[answer, typeof tfjs.tensor]',
  );
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "[ 42, 'function' ]");
});

test("tensors display with dtype, shape, bytes and values", async () => {
  const { sink } = await run("tf.tensor1d([1, 2, 3], 'int32')");
  assert.match(sink.result()!, /^Tensor int32 \[3\] 12 B on \w+\n\s*\[1, 2, 3\]/);
});

test("arquero tables display as HTML and text", async () => {
  const { sink } = await run("aq.table({ name: ['a', 'b'], v: [1.5, 2] })");
  const r = sink.events.find((e) => e.type === "execute_result")!.data as Record<string, string>;
  assert.match(r["text/html"], /<table/);
  assert.equal(r["text/plain"].split("\n")[0].trim().split(/\s+/).join(","), "name,v");
});

test("display with displayId and update, and clearOutput", async () => {
  const { sink } = await run(
    "display('first', { displayId: 'd1' });\ndisplay('second', { displayId: 'd1', update: true });\nclearOutput({ wait: true });",
  );
  const types = sink.events.map((e) => e.type);
  assert.deepEqual(types, ["display_data", "update_display_data", "clear_output"]);
  assert.equal((sink.events[1].transient as any).display_id, "d1");
  assert.equal((sink.events[1].data as any)["text/plain"], "'second'");
});

test("objects with Symbol.for('Jupyter.display') choose their own mime bundle", async () => {
  const { sink } = await run("({ [Symbol.for('Jupyter.display')]() { return { 'text/html': '<b>hi</b>' }; } })");
  const data = sink.events.find((e) => e.type === "execute_result")!.data as Record<string, string>;
  assert.equal(data["text/html"], "<b>hi</b>");
  assert.ok("text/plain" in data);
});

test("a plotly figure is one bundle: plotly JSON, HTML holding the static image, PNG and text; no bundle carries plotly.js", async () => {
  const a = await run("figure([{ x: [1, 2, 3], y: [3, 1, 2], name: 'loss' }], { title: 'L' })");
  const b = await run("figure([{ y: [1, 2] }])");
  const da = a.sink.events.find((e) => e.type === "execute_result")!.data as Record<string, any>;
  const db = b.sink.events.find((e) => e.type === "execute_result")!.data as Record<string, any>;
  assert.deepEqual(da["application/vnd.plotly.v1+json"].data[0].y, [3, 1, 2]);
  assert.deepEqual(Object.keys(da), ["application/vnd.plotly.v1+json", "text/html", "image/png", "text/plain"]);
  assert.match(da["text/plain"], /Figure "L": 1 trace: loss \(3 points\)/);
  assert.ok(da["text/html"].includes(`src="data:image/png;base64,${da["image/png"]}"`), "the HTML shows the PNG by itself");
  for (const d of [da, db]) {
    assert.ok(d["text/html"].length < 60_000, "no figure carries plotly.js (4.8 MB)");
    assert.match(d["text/html"], /kernelspecs\/"\+encodeURIComponent\("tfjs-lab"\)\+"\/plotly\.min\.js/);
    assert.match(d["text/html"], /P\.newPlot/);
  }
});

test("output from a timer reaches the cell that started it, not a later cell", async () => {
  const first = await run("setTimeout(() => console.log('late from first'), 150); 'started'");
  const second = await run("await new Promise((r) => setTimeout(r, 400)); console.log('second cell');");
  assert.match(first.sink.text(), /late from first/);
  assert.doesNotMatch(second.sink.text(), /late from first/);
  assert.match(second.sink.text(), /second cell/);
});

test("an error thrown in a timer is reported in the cell that started it; the engine lives on", async () => {
  const first = await run("setTimeout(() => { throw new RangeError('from timer'); }, 50);");
  await run("await new Promise((r) => setTimeout(r, 200));");
  const err = first.sink.events.find((e) => e.type === "error");
  assert.ok(err, "error reported in the first cell");
  assert.equal(err!.ename, "RangeError");
  const { reply } = await run("1 + 1");
  assert.equal(reply.status, "ok");
});

test("top-level variables keep their values across cells, loops included", async () => {
  await run("let total = 0;\nlet calls = 0;\nfunction bump() { calls++; }");
  await run("for (let i = 0; i < 1000; i++) total += i;");
  // A loop that calls a top-level function is left untransformed: the function sees the namespace.
  await run("for (let i = 0; i < 3; i++) bump();");
  const { sink } = await run("[total, calls]");
  assert.equal(sink.result(), "[ 499500, 3 ]");
  // An exception in the middle of a loop keeps what the loop did so far.
  const failed = await run("for (let i = 0; i < 10; i++) { if (i === 5) throw new Error('stop'); total = i; }");
  assert.equal(failed.reply.status, "error");
  assert.equal((await run("total")).sink.result(), "4");
});

test("a `for await` nested in a top-level loop runs the cell as async", async () => {
  const { sink, reply } = await run(
    "async function* pair() { yield 1; yield 2; }\nlet sum = 0;\nfor (let k = 0; k < 2; k++) { for await (const v of pair()) sum += v; }\nsum",
  );
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "6");
});

test("shorthand properties see earlier cells' variables", async () => {
  await run("const kept2 = 7;\nconst other = 'o';");
  const { sink, reply } = await run(
    "const obj = { kept2, other };\nfunction f(kept2: number) { return { kept2 }; }\n[obj.kept2, obj.other, f(1).kept2]",
  );
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "[ 7, 'o', 1 ]");
});

test("a loop accumulating into the cell's own variable from an earlier cell's runs on locals and gives the sum", async () => {
  await run("const scale = 10;");
  const { sink, reply } = await run("let m = 0;\nfor (let i = 0; i < 3; i++) { m += i * scale; }\nm");
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "30");
});

test("input() asks the front end through requestInput", async () => {
  const { sink, reply } = await run("const name = await input('Your name? ');\n`hello ${name}`", ["Ada"]);
  assert.equal(reply.status, "ok");
  assert.equal(sink.events[0].type, "input_request");
  assert.equal(sink.result(), "'hello Ada'");
});

test("interrupt() stops an awaiting cell with KeyboardInterrupt and variables survive", async () => {
  await run("let kept = 'yes';");
  const pending = run("await new Promise(() => {});");
  setTimeout(() => engine.interrupt(), 100);
  const { reply } = await pending;
  assert.equal(reply.status, "error");
  assert.equal((reply as any).ename, "KeyboardInterrupt");
  assert.equal((await run("kept")).sink.result(), "'yes'");
});

test("history: tail, range and search", async () => {
  await run("const historyMarker = 1;");
  const tail = engine.history({ hist_access_type: "tail", n: 1, output: false, raw: true });
  assert.equal(tail.length, 1);
  assert.equal(tail[0].input, "const historyMarker = 1;");
  const search = engine.history({ hist_access_type: "search", pattern: "const history*", output: false, raw: true });
  assert.ok(search.some((h) => h.input === "const historyMarker = 1;"));
  const range = engine.history({ hist_access_type: "range", session: 0, start: 1, stop: 3, output: false, raw: true });
  assert.deepEqual(
    range.map((h) => h.line),
    [1, 2],
  );
});

test("complete, inspect and is_complete", async () => {
  await run("const myTensorVariable = tf.zeros([2]);");
  const c = engine.complete("myTensorV", 9);
  assert.ok(c.matches.includes("myTensorVariable"));
  assert.equal(c.cursor_start, 0);
  const m = engine.complete("%tim", 4);
  assert.deepEqual(m.matches.sort(), ["%time", "%timeit"]);
  const i = engine.inspect("myTensorVariable", 5, 0);
  assert.ok(i.found);
  assert.match(String(i.data["text/plain"]), /Tensor/);
  assert.equal(engine.isComplete("let x = 1;").status, "complete");
  assert.deepEqual(engine.isComplete("function f() {"), { status: "incomplete", indent: "  " });
  assert.equal(engine.isComplete("let = = 3;").status, "invalid");
});
