// The protocol through a real Jupyter client: protocol_driver.py (jupyter_client) drives one
// kernel through every scenario, and each test here checks what it observed.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { KERNEL_NAME, REPO_ROOT, makeJupyterPath, pythonJupyterMissing, runPython } from "./kernel-harness";

const SCENARIOS = [
  "kernel_info",
  "bad_signature",
  "interrupt",
  "stop_on_error",
  "history",
  "is_complete",
  "timer_attribution",
  "stdin",
  "misc",
  "shutdown_restart",
];

type Json = any;
const missing = pythonJupyterMissing();

describe("Jupyter protocol through jupyter_client", () => {
  const results = new Map<string, Json>();
  let kernelLog = "";

  before(async () => {
    // npm test installs Debian's jupyter_client (test/run.sh); missing is a failure, never a silent skip.
    assert.equal(missing, null, missing ?? "");
    const driver = path.join(REPO_ROOT, "test", "kernel", "protocol_driver.py");
    const r = await runPython([driver, KERNEL_NAME, ...SCENARIOS], { JUPYTER_PATH: makeJupyterPath() }, 240_000);
    kernelLog = r.stderr;
    for (const line of r.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const row = JSON.parse(line);
      results.set(row.scenario, row);
    }
    if (results.size === 0) throw new Error(`driver produced nothing (exit ${r.code}):\n${r.stderr}`);
  });

  const result = (name: string): Json => {
    const row = results.get(name);
    assert.ok(row, `scenario ${name} did not run`);
    assert.equal(row.error, undefined, `scenario ${name} failed in the driver: ${row.error}\n--- kernel/driver stderr ---\n${kernelLog}`);
    return row.result;
  };
  const outputs = (iopub: Json[], type: string) => iopub.filter((m) => m.msg_type === type);

  test("kernel_info_reply describes a TypeScript kernel speaking protocol 5.3", () => {
    const r = result("kernel_info");
    assert.equal(r.msg_type, "kernel_info_reply");
    assert.equal(r.version, "5.3");
    assert.equal(r.content.protocol_version, "5.3");
    assert.equal(r.content.implementation, "tfjs-lab");
    assert.equal(r.content.language_info.name, "typescript");
    assert.equal(r.content.language_info.file_extension, ".ts");
    assert.equal(r.content.language_info.mimetype, "text/typescript");
    assert.ok(r.content.banner.length > 0);
  });

  test("a message signed with a wrong key is dropped, logged, and the kernel lives on", () => {
    const r = result("bad_signature");
    assert.equal(outputs(r.after.iopub, "execute_result")[0].content.data["text/plain"], "'before'");
    // The forged cell never took an execution count.
    assert.equal(r.after.reply.execution_count, r.before.reply.execution_count + 1);
    assert.equal(r.kernel_info_after, "kernel_info_reply");
    assert.equal(r.still.reply.status, "ok");
    assert.match(kernelLog, /shell: dropped a message: bad signature/);
    assert.match(kernelLog, /control: dropped a message: bad signature/);
  });

  test("interrupt_request stops while (true) {}; heartbeat answers meanwhile; variables survive", () => {
    const r = result("interrupt");
    assert.equal(r.hb_during_loop, true);
    assert.equal(r.interrupt_reply, "interrupt_reply");
    assert.equal(r.interrupt_status, "ok");
    assert.equal(r.loop_reply.status, "error");
    assert.equal(r.loop_reply.ename, "KeyboardInterrupt");
    assert.equal(outputs(r.after.iopub, "execute_result")[0].content.data["text/plain"], "7");
  });

  test("stop_on_error aborts exactly the requests queued when the cell failed", () => {
    const { stop } = result("stop_on_error");
    assert.deepEqual(
      stop.replies.map((x: Json) => x.status),
      ["error", "aborted", "aborted"],
    );
    assert.equal(stop.replies[0].evalue, "failed-a");
    // Aborted requests still get busy ... idle, and run nothing.
    for (const io of stop.iopub.slice(1))
      assert.deepEqual(
        io.map((m: Json) => m.msg_type),
        ["status", "status"],
      );
    assert.equal(stop.later.reply.status, "ok");
    assert.equal(outputs(stop.later.iopub, "execute_result")[0].content.data["text/plain"], "[ undefined, undefined, 'later ran' ]");
  });

  test("without stop_on_error the queued requests run", () => {
    const r = result("stop_on_error").continue;
    assert.deepEqual(
      r.replies.map((x: Json) => x.status),
      ["error", "ok", "ok"],
    );
    assert.equal(outputs(r.later.iopub, "execute_result")[0].content.data["text/plain"], "[ true, true, 'later ran' ]");
  });

  test("history_request: tail, range, search", () => {
    const { codes, replies } = result("history");
    assert.deepEqual(
      replies.tail.history.map((h: Json) => h[2]),
      codes,
    );
    const [session, line] = replies.tail.history[0];
    assert.deepEqual(replies.range.history, [
      [session, line, codes[0]],
      [session, line + 1, codes[1]],
    ]);
    assert.deepEqual(
      replies.search.history.map((h: Json) => h[2]),
      ["'history-probe'"],
    );
    assert.deepEqual(replies.tail_output.history[0][2], ["'history-probe'", "'history-probe'"]);
  });

  test("is_complete_request", () => {
    const r = result("is_complete");
    assert.equal(r["let x = 1;"].status, "complete");
    assert.equal(r["function f() {"].status, "incomplete");
    assert.equal(r["const s = `abc"].status, "incomplete");
    assert.equal(r["let = = ;"].status, "invalid");
  });

  test("output of a timer started by one cell stays with that cell", () => {
    const r = result("timer_attribution");
    assert.deepEqual(r.timer_parents, [r.t1]);
  });

  test("input_request on stdin, and a clear error when the client allows no stdin", () => {
    const r = result("stdin");
    assert.equal(r.request.msg_type, "input_request");
    assert.deepEqual(r.request.content, { prompt: "Name? ", password: false });
    assert.equal(r.request.parent, r.exec_id);
    assert.equal(outputs(r.iopub, "execute_result")[0].content.data["text/plain"], "'hello Ada'");
    assert.equal(r.refused.ename, "StdinNotImplementedError");
  });

  test("comm_info, complete, inspect, unknown types ignored, kernel_info on control", () => {
    const r = result("misc");
    assert.deepEqual(r.comm_info, { msg_type: "comm_info_reply", content: { status: "ok", comms: {} } });
    assert.ok(r.complete.matches.includes("floor"));
    assert.equal(r.inspect.found, true);
    assert.equal(r.after_unknown, "kernel_info_reply");
    assert.equal(r.control_kernel_info, "kernel_info_reply");
    assert.match(kernelLog, /unknown message type "no_such_request"; ignored/);
  });

  test("shutdown_request with restart: reply on control, process exits 0", () => {
    const r = result("shutdown_restart");
    assert.equal(r.msg_type, "shutdown_reply");
    assert.deepEqual(r.content, { status: "ok", restart: true });
    assert.equal(r.parent_ok, true);
    assert.equal(r.exit_code, 0);
  });
});
