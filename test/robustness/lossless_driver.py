"""Issue 18's faults, against a real tfjs-lab kernel through jupyter_client: nothing lost,
nothing wrong. Prints one JSON line per scenario for lossless.test.ts.
Usage: lossless_driver.py KERNEL_NAME WORKDIR SCENARIO...

flood        20,000 console.log lines in one cell: every line, in order, and the idle status;
             then stdout and stderr flooded at once while a second client sends kernel_info
             and an interrupt
exit         process.exit / abort / kill(process.pid) in a cell: an error, the kernel lives
reprs        a displayed Promise, a recursion error, a message line starting with "at",
             huge and deeply nested displays
fuzz         random cell sources through the magic parser and the cell transforms
wasm_oom     the wasm heap filled: an out-of-memory error, no tensor corrupted, wasm works after
"""
import random
import time

from jupyter_client import BlockingKernelClient

from lab_client import control_reply, heartbeat_answers, iopub_until_idle, result_text, run, run_scenarios, send_interrupt, shell_reply, stream_text, value


def errors_of(iopub):
    return [{"ename": m["content"]["ename"], "evalue": m["content"]["evalue"], "traceback": m["content"]["traceback"]}
            for m in iopub if m["msg_type"] == "error"]


def scenario_flood(km, kc, workdir):
    out = {}
    # 1. chatty output in a cell that never yields
    t0 = time.time()
    reply, iopub = run(kc, 'for (let i = 0; i < 20000; i++) console.log("line " + i + " " + "y".repeat(95))', timeout=120)
    lines = stream_text(iopub).splitlines()
    expected = [f"line {i} " + "y" * 95 for i in range(20000)]
    out["chatty"] = {"status": reply["status"], "lines": len(lines), "in_order": lines == expected,
                     "messages": sum(1 for m in iopub if m["msg_type"] == "stream"),
                     "last_state": iopub[-1]["content"].get("execution_state"), "seconds": time.time() - t0}
    # 2. stdout and stderr at once, async (yields between bursts), while another client asks
    # kernel_info and then interrupts the cell
    code = """let k = 0;
for (;;) {
  for (let j = 0; j < 200; j++, k++) { process.stdout.write("o" + k + "\\n"); console.error("e" + k); }
  await new Promise((r) => setTimeout(r, 1));
}"""
    other = BlockingKernelClient(connection_file=km.connection_file)
    other.load_connection_file()
    other.start_channels()
    try:
        msg_id = kc.execute(code)
        time.sleep(1.5)
        t1 = time.time()
        # on control: shell requests wait for the running cell, control ones do not
        request = other.session.msg("kernel_info_request", {})
        other.control_channel.send(request)
        info = control_reply(other, request["header"]["msg_id"], 10)
        info_seconds = time.time() - t1
        time.sleep(0.5)
        send_interrupt(other)
        reply2 = shell_reply(kc, msg_id, 30)
        iopub2 = iopub_until_idle(kc, msg_id, 60)
    finally:
        other.stop_channels()
    texts = {"stdout": "", "stderr": ""}
    for m in iopub2:
        if m["msg_type"] == "stream":
            texts[m["content"]["name"]] += m["content"]["text"]
    outs = texts["stdout"].splitlines()
    errs = texts["stderr"].splitlines()
    out["both"] = {
        "status": reply2["content"]["status"], "ename": reply2["content"].get("ename"),
        "info_status": info["content"]["status"], "info_seconds": info_seconds,
        "stdout_lines": len(outs), "stdout_in_order": outs == [f"o{i}" for i in range(len(outs))],
        "stderr_lines": len(errs), "stderr_in_order": errs == [f"e{i}" for i in range(len(errs))],
        "last_state": iopub2[-1]["content"].get("execution_state"),
    }
    out["k"] = value(kc, "k")
    out["alive"] = value(kc, "1 + 1")
    out["hb"] = heartbeat_answers(km)
    return out


EXITS = {
    "exit": "process.exit(3)",
    "abort": "process.abort()",
    "kill": "process.kill(process.pid)",
    "kill_sigkill": 'process.kill(process.pid, "SIGKILL")',
    "required": 'require("process").exit(1)',
    "really": "(process as any).reallyExit(2)",
}


def scenario_exit(km, kc, workdir):
    pid = km.provisioner.pid if hasattr(km, "provisioner") else None
    run(kc, "const keep = 41;")
    out = {}
    for name, code in EXITS.items():
        reply, iopub = run(kc, code, timeout=30)
        out[name] = {"status": reply["status"], "ename": reply.get("ename"), "evalue": reply.get("evalue"), "errors": len(errors_of(iopub))}
    # what the guarded process still does
    out["works"] = value(kc, '[typeof process.memoryUsage().rss, process.env.PATH !== undefined, typeof process.hrtime.bigint(), process.pid > 0, process.kill(process.pid, 0)]')
    out["keep"] = value(kc, "keep + 1")
    out["hb"] = heartbeat_answers(km)
    out["alive"] = km.is_alive()
    return out


def scenario_reprs(km, kc, workdir):
    out = {}
    reply, iopub = run(kc, "new Promise((r) => setTimeout(r, 10_000))")
    out["promise_pending"] = {"status": reply["status"], "text": result_text(iopub)}
    reply, iopub = run(kc, "Promise.resolve(42)")
    out["promise_resolved"] = {"status": reply["status"], "text": result_text(iopub)}
    reply, iopub = run(kc, "display(Promise.resolve({ a: 1 })); const p = fetch; [p]")
    disp = [m["content"]["data"]["text/plain"] for m in iopub if m["msg_type"] == "display_data"]
    out["displayed"] = {"status": reply["status"], "texts": disp, "fn": result_text(iopub)}
    reply, iopub = run(kc, "function f(n: number): number { return f(n + 1) + 1; }\nf(0)", timeout=60)
    out["recursion"] = {"status": reply["status"], "ename": reply.get("ename"), "traceback": reply.get("traceback")}
    reply, iopub = run(kc, 'throw new Error("bad input\\nat position 3 of the file\\n  at least twice")')
    out["at_lines"] = {"status": reply["status"], "evalue": reply.get("evalue"), "traceback": reply.get("traceback")}
    # huge and deeply nested values
    code = """type N = { child?: N; i: number };
let deep: N = { i: 0 };
for (let i = 1; i < 100000; i++) deep = { child: deep, i };
const wide = Array.from({ length: 1_000_000 }, (_, i) => i);
const big = { s: "x".repeat(5_000_000) };
display(deep); display(wide); display(big);
const cyc: any = { name: "cyc" }; cyc.self = cyc; cyc"""
    t0 = time.time()
    reply, iopub = run(kc, code, timeout=60)
    sizes = [len(m["content"]["data"]["text/plain"]) for m in iopub if m["msg_type"] in ("display_data", "execute_result")]
    out["huge"] = {"status": reply["status"], "ename": reply.get("ename"), "evalue": reply.get("evalue"), "sizes": sizes,
                   "cyc": result_text(iopub), "seconds": time.time() - t0}
    out["alive"] = value(kc, "deep.i")
    out["hb"] = heartbeat_answers(km)
    return out


FUZZ_PIECES = ["%", "%%", "%time", "%%time", "%timeit -n1 -r1", "%who", "%memory", "%lsmagic", "%nosuch", "%%nosuch", "!", "!echo hi",
               "?", "??", "tf?", "%time?", "let", "const a = 1", "a", "1 +", ")", "(", "{", "}", "`", "${", "'", '"', "/*", "*/", "//",
               "await", "await 1", "for (;;) break", "%%time\n", "\n", "\n\n", " ", "\t", "\\", "%env", "%env X=1", "%%shell", "%backend",
               "x" * 300, "é", "\u0000", "\U0001F600", "%time %time", "%% time", "% time", "%%%", "!!", "?%", "%?"]


def scenario_fuzz(km, kc, workdir):
    rng = random.Random(18)
    run(kc, "const sentinel = 7;")
    cells = []
    bad = []
    for i in range(60):
        parts = [rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 6))]
        code = rng.choice([" ", "\n", ""]).join(parts)
        try:
            reply, iopub = run(kc, code, timeout=30)
        except Exception as e:
            bad.append({"code": code, "problem": f"no reply/idle: {type(e).__name__}"})
            break
        errs = errors_of(iopub)
        if reply["status"] == "error" and len(errs) != 1:
            bad.append({"code": code, "problem": f"error reply with {len(errs)} error messages"})
        if reply["status"] == "error" and reply.get("ename") in ("TypeError", "RangeError", "InternalError") and "nosuch" not in code:
            # an engine failure surfacing as a JavaScript error is suspicious; record it to look at
            cells.append({"code": code, "ename": reply.get("ename"), "evalue": reply.get("evalue")})
    out = {"bad": bad, "suspicious": cells, "sentinel": value(kc, "sentinel"), "hb": heartbeat_answers(km)}
    return out


def scenario_wasm_oom(km, kc, workdir):
    out = {}
    reply, _ = run(kc, 'await tf.setBackend("wasm"); tf.getBackend()', timeout=120)
    out["backend"] = reply["status"]
    code = """const ts: tf.Tensor[] = [];
let failure = "";
try { for (let i = 0; i < 70; i++) ts.push(tf.fill([1024, 1024, 16], i + 1)); }
catch (e) { failure = (e as Error).name + ": " + (e as Error).message; }
failure"""
    reply, iopub = run(kc, code, timeout=300)
    out["fill"] = {"status": reply["status"], "failure": result_text(iopub), "errors": errors_of(iopub)}
    out["count"] = value(kc, "ts.length")
    # every tensor made reads its own value (first and last element of each)
    out["values"] = value(kc, "ts.map((t, i) => { const d = t.dataSync(); return d[0] === i + 1 && d[d.length - 1] === i + 1; }).every(Boolean)")
    reply, iopub = run(kc, "tf.zeros([100000, 100000])", timeout=60)
    out["zeros"] = {"status": reply["status"], "ename": reply.get("ename"), "evalue": reply.get("evalue")}
    reply, iopub = run(kc, "%memory", timeout=60)
    out["memory_text"] = stream_text(iopub) + (result_text(iopub) or "")
    run(kc, "tf.dispose(ts); ts.length = 0;", timeout=60)
    out["after"] = value(kc, 'Array.from(tf.add(tf.fill([1024, 1024, 16], 2), 1).dataSync().slice(0, 3))', timeout=60)
    out["backend_after"] = value(kc, "tf.getBackend()")
    out["hb"] = heartbeat_answers(km)
    return out


if __name__ == "__main__":
    run_scenarios(globals())
