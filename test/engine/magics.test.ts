// Magics through the engine: IPython's exact formats, help, UsageError, shell, env.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { formatTime, formatG, TimeitResult } from "../../src/magics/format-time";
import { parseCell } from "../../src/magics/parse";
import { RecordingSink } from "../helpers/recording-sink";

let engine: LabEngine;
before(() => {
  engine = createToolkitEngine({ log: () => {} });
});
after(() => engine.shutdown());

async function run(code: string) {
  const sink = new RecordingSink();
  const reply = await engine.execute(code, sink);
  return { sink, reply };
}

test("formatTime matches IPython's _format_time", () => {
  // Values computed with IPython 8's IPython.core.magics.execution._format_time.
  assert.equal(formatTime(4.66e-6), "4.66 \u00b5s");
  assert.equal(formatTime(6.31e-7), "631 ns");
  assert.equal(formatTime(0.0123456), "12.3 ms");
  assert.equal(formatTime(1.5), "1.5 s");
  assert.equal(formatTime(0), "0 ns");
  assert.equal(formatTime(65.2), "1min 5s");
  assert.equal(formatTime(3725), "1h 2min 5s");
  assert.equal(formatG(999.95, 3), "1e+03");
  assert.equal(formatG(0.000012345, 3), "1.23e-05");
  assert.equal(formatG(100, 3), "100");
});

test("TimeitResult reads as IPython's", () => {
  const r = new TimeitResult(100000, 7, [0.466, 0.4, 0.5, 0.45, 0.48, 0.47, 0.492]);
  assert.match(r.toString(), /^\d+(\.\d+)? µs ± \d+(\.\d+)? ns per loop \(mean ± std\. dev\. of 7 runs, 100,000 loops each\)$/);
  assert.equal(new TimeitResult(1, 1, [2]).toString(), "2 s \u00b1 0 ns per loop (mean \u00b1 std. dev. of 1 run, 1 loop each)");
});

test("%timeit auto-ranges and prints IPython's line", async () => {
  const { sink, reply } = await run("%timeit -r 3 Math.sqrt(2)");
  assert.equal(reply.status, "ok");
  assert.match(
    sink.text(),
    /^[\d.]+ (ns|µs|ms|s) ± [\d.]+(?:e-\d+)? (ns|µs|ms|s) per loop \(mean ± std\. dev\. of 3 runs, [\d,]+ loops? each\)\n$/m,
  );
  const loops = Number(/of 3 runs, ([\d,]+) loop/.exec(sink.text())![1].replace(/,/g, ""));
  assert.ok(
    [1, 2, 5].includes(Number(String(loops)[0])) && /^\d0*$/.test(String(loops).slice(0, 1) + String(loops).slice(1)),
    `auto-range gives 1/2/5 x 10^k, got ${loops}`,
  );
});

test("%%timeit times a cell body, awaiting async code; -o returns the result", async () => {
  const { sink } = await run("%%timeit -n 2 -r 2 -o\nawait new Promise((r) => setTimeout(r, 5));");
  assert.match(sink.text(), /of 2 runs, 2 loops each\)/);
  assert.match(sink.result()!, /^<TimeitResult : [\d.]+ ms ±/);
});

test("%time prints CPU and wall time and keeps the value", async () => {
  const { sink } = await run("%time [1, 2, 3].length");
  assert.match(
    sink.text(),
    /^CPU times: user [\d.]+ (ns|µs|ms|s), sys: [\d.]+ (ns|µs|ms|s), total: [\d.]+ (ns|µs|ms|s)\nWall time: [\d.]+ (ns|µs|ms|s)\n$/,
  );
  assert.equal(sink.result(), "3");
});

test("bad arguments give a UsageError with the usage line", async () => {
  for (const code of ["%timeit -z 3 1", "%timeit -n abc 1", "%timeit", "%env 3x", "%who 'unclosed"]) {
    const { reply } = await run(code);
    assert.equal(reply.status, "error", code);
    assert.equal((reply as any).ename, "UsageError", code);
    assert.match((reply as any).evalue, /Usage: %/, code);
  }
  const missing = await run("%nosuchmagic 1");
  assert.equal((missing.reply as any).ename, "UsageError");
  assert.match((missing.reply as any).evalue, /%nosuchmagic` not found/);
});

test("%name? shows help; %lsmagic lists every magic", async () => {
  const help = await run("%timeit?");
  assert.match(help.sink.text(), /^Usage: %timeit/);
  const ls = await run("%lsmagic");
  for (const m of ["%time", "%timeit", "%who", "%whos", "%env", "%backend", "%%time", "%%timeit"]) assert.ok(ls.sink.text().includes(m), m);
});

test("%who and %whos list user variables; tensors show shape, dtype and bytes", async () => {
  await run("const images = tf.zeros([32, 8, 8, 3]);\nconst label = 'cat';");
  const who = await run("%who");
  assert.ok(who.sink.text().split(/\s+/).includes("images"));
  assert.ok(!who.sink.text().split(/\s+/).includes("tf"), "preloaded names are hidden");
  const whos = await run("%whos Tensor");
  assert.match(whos.sink.text(), /images\s+Tensor\s+float32 \[32, 8, 8, 3\], 24\.0 KiB/);
  assert.doesNotMatch(whos.sink.text(), /label/);
});

test("%env reads and sets variables; !cmd runs a shell command and streams its output", async () => {
  await run("%env TFJS_LAB_TEST_VAR=hello world");
  assert.equal((await run("%env TFJS_LAB_TEST_VAR")).sink.result(), "'hello world'");
  const sh = await run("!echo $TFJS_LAB_TEST_VAR && echo oops >&2 && exit 3");
  assert.equal(sh.sink.text("stdout"), "hello world\n");
  assert.match(sh.sink.text("stderr"), /oops\n\(command exited with status 3\)/);
});

test("a continuation line starting with ! runs as TypeScript, a real !cmd line in the same cell still runs the shell", async () => {
  await run("const ready = true, failed = false;");
  // sh would run `failed;` (not found, status 127); as TypeScript the statement is `ready && !failed`
  const { sink, reply } = await run("const ok = ready &&\n  !failed;\n!echo from-the-shell\nok");
  assert.equal(reply.status, "ok");
  assert.equal(sink.text("stderr"), "");
  assert.equal(sink.text("stdout"), "from-the-shell\n");
  assert.equal(sink.result(), "true");
  assert.equal(engine.isComplete("const ok = ready &&\n  !failed;").status, "complete");
});

test("%backend reports the backend in use and rejects unknown names", async () => {
  const { sink } = await run("%backend");
  assert.match(sink.text(), /^backend: (wasm|cpu|webgpu|tensorflow)/);
  const bad = await run("%backend nosuch");
  assert.equal(bad.reply.status, "error");
  assert.match((bad.reply as any).evalue, /Available backends/);
});

test("parseCell splits code, magics and shell lines", () => {
  const parts = parseCell("const a = 1;\n%time a + 1\n!ls\nconst b = 2;");
  assert.deepEqual(
    parts.map((p) => p.kind),
    ["code", "line-magic", "shell", "code"],
  );
  assert.deepEqual(
    parseCell("%%timeit -n 1\nfoo()").map((p) => p.kind),
    ["cell-magic"],
  );
  assert.deepEqual(
    parseCell("tf.tensor?").map((p) => p.kind),
    ["inspect"],
  );
  assert.deepEqual(
    parseCell("const x = a % b;").map((p) => p.kind),
    ["code"],
  );
});
