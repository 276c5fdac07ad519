// Issue 18, through jupyter_client against a real kernel: nothing lost (chatty output, both
// streams at once under interrupt), nothing wrong (a full wasm heap, process.exit in a cell,
// opaque values and deep recursion shown briefly), and random cells through the magic parser.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type DriverRun, type Json, runDriver } from "./driver-runner";

describe("nothing lost, nothing wrong (jupyter_client)", () => {
  let run: DriverRun;
  before(async () => {
    run = await runDriver("lossless_driver.py", ["flood", "exit", "reprs", "fuzz", "wasm_oom"], 600_000);
  });

  test("20,000 console.log lines in a blocking cell: every line in order, coalesced, and the idle status", (t) => {
    const c = run.result("flood").chatty;
    assert.equal(c.status, "ok");
    assert.equal(c.lines, 20000);
    assert.equal(c.in_order, true);
    assert.equal(c.last_state, "idle");
    assert.ok(c.messages < 200, `${c.messages} stream messages for 20,000 lines`);
    t.diagnostic(`chatty: 20,000 lines in ${c.messages} messages, ${c.seconds.toFixed(1)} s`);
  });

  test("stdout and stderr flooded at once, kernel_info and interrupt from a second client: all text, in order", (t) => {
    const r = run.result("flood");
    const b = r.both;
    assert.equal(b.status, "error");
    assert.equal(b.ename, "KeyboardInterrupt");
    assert.equal(b.info_status, "ok");
    assert.ok(b.info_seconds < 2, `kernel_info took ${b.info_seconds} s`);
    assert.equal(b.stdout_in_order, true);
    assert.equal(b.stderr_in_order, true);
    // every line the cell wrote arrived: k counts the lines of each stream
    assert.equal(b.stdout_lines, r.k);
    assert.equal(b.stderr_lines, r.k);
    assert.equal(b.last_state, "idle");
    assert.equal(r.alive, 2);
    assert.equal(r.hb, true);
    t.diagnostic(`both streams: ${r.k} lines each; kernel_info answered in ${(b.info_seconds * 1000).toFixed(0)} ms`);
  });

  test("process.exit, abort and kill(process.pid) in a cell: KernelExitError, the kernel and its variables live on", () => {
    const r = run.result("exit");
    for (const name of ["exit", "abort", "kill", "kill_sigkill", "required", "really"]) {
      assert.equal(r[name].status, "error", name);
      assert.equal(r[name].ename, "KernelExitError", name);
      assert.match(r[name].evalue, /restart the kernel/, name);
      assert.equal(r[name].errors, 1, name);
    }
    assert.deepEqual(r.works, ["number", true, "bigint", true, true]);
    assert.equal(r.keep, 42);
    assert.equal(r.alive, true);
    assert.equal(r.hb, true);
  });

  test("a displayed Promise is short with an await hint; recursion collapses; 'at' lines of a message stay in it", () => {
    const r = run.result("reprs");
    assert.equal(r.promise_pending.text, "Promise { <pending> }\n(a Promise that has not settled: `await` it to wait for its value)");
    assert.equal(r.promise_resolved.text, "Promise { 42 }\n(a Promise: `await` it to get its value)");
    assert.deepEqual(r.displayed.texts, ["Promise { { a: 1 } }\n(a Promise: `await` it to get its value)"]);
    for (const text of [r.promise_pending.text, ...r.displayed.texts]) assert.doesNotMatch(text, /Symbol|IopubSink|identities/);
    const tb: string[] = r.recursion.traceback;
    assert.equal(r.recursion.ename, "RangeError");
    assert.ok(tb.length < 10, `recursion traceback has ${tb.length} lines`);
    assert.match(tb[tb.length - 1], /^ {4}\[previous line repeated \d+ more times\]$/);
    const at: string[] = r.at_lines.traceback;
    assert.equal(at[0], "Error: bad input\nat position 3 of the file\n  at least twice");
    assert.deepEqual(
      at.filter((l) => /^\s+at /.test(l)),
      ["    at In[5]:1:7"],
    );
  });

  test("huge and deeply nested displays come back short, the kernel keeps its state", () => {
    const r = run.result("reprs");
    assert.equal(r.huge.status, "ok", `${r.huge.ename}: ${r.huge.evalue}`);
    assert.equal(r.huge.sizes.length, 4);
    assert.ok(
      r.huge.sizes.every((n: number) => n < 20_000),
      `text sizes ${r.huge.sizes}`,
    );
    assert.equal(r.huge.cyc, "<ref *1> { name: 'cyc', self: [Circular *1] }");
    assert.equal(r.alive, 99999);
    assert.equal(r.hb, true);
  });

  test("60 random cells through the magic parser and the cell transforms: each answered, one error at most, state kept", () => {
    const r = run.result("fuzz");
    assert.deepEqual(r.bad, []);
    assert.equal(r.sentinel, 7);
    assert.equal(r.hb, true);
  });

  test("filling the wasm heap: OutOfMemoryError naming the bytes and the 4 GiB limit, no tensor corrupted, wasm works after", (t) => {
    const r: Json = run.result("wasm_oom");
    assert.match(
      r.fill.failure,
      /^["']OutOfMemoryError: wasm out of memory: tried to allocate 64\.0 MiB \(67,108,864 bytes\).*limit of 4 GiB/,
    );
    assert.ok(r.count >= 60 && r.count < 64, `made ${r.count} tensors`);
    assert.equal(r.values, true, "a tensor reads another tensor's values");
    assert.equal(r.after.join(","), "3,3,3");
    // A tensor too large for any array fails before the backend sees it; the error says so.
    assert.equal(r.zeros.status, "error");
    assert.match(
      r.zeros.evalue,
      /out of memory: could not allocate a typed array of 10,000,000,000 elements \(37\.3 GiB as float32\).*What to do/,
    );
    assert.equal(r.backend_after, "wasm");
    assert.equal(r.hb, true);
    t.diagnostic(`wasm: ${r.count} tensors of 64 MiB, then OutOfMemoryError; %memory: ${String(r.memory_text).split("\n")[0]}`);
  });
});
