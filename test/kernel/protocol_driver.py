"""Drives a running tfjs-lab kernel through jupyter_client (a real Jupyter client) and
prints what it observed as JSON, one object per scenario; protocol.test.ts asserts on it.

Usage: protocol_driver.py KERNEL_NAME SCENARIO...   (JUPYTER_PATH must hold the kernelspec)
"""
import json
import os
import sys
import tempfile
import time

import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 60


def shell_reply(kc, msg_id):
    """The shell reply to msg_id; any other reply in between is a protocol error."""
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    # start_new_kernel may leave extra kernel_info replies from its readiness probing.
    while reply["msg_type"] == "kernel_info_reply" and reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    if reply["parent_header"].get("msg_id") != msg_id:
        raise AssertionError(f"expected the reply to {msg_id}, got one to {reply['parent_header'].get('msg_id')} ({reply['msg_type']})")
    return reply


def iopub_for(kc, msg_id):
    """iopub messages of one request, from busy to idle."""
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append({"msg_type": msg["msg_type"], "content": msg["content"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def run(kc, code, **kw):
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id)
    return {"reply": reply["content"], "iopub": iopub_for(kc, msg_id)}


def result_text(outcome):
    for m in outcome["iopub"]:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"].get("text/plain")
    return None


def drain_iopub(kc):
    while True:
        try:
            kc.get_iopub_msg(timeout=0.3)
        except Exception:
            return


def scenario_kernel_info(km, kc):
    msg_id = kc.kernel_info()
    reply = shell_reply(kc, msg_id)
    return {"msg_type": reply["msg_type"], "version": reply["header"]["version"], "content": reply["content"]}


def scenario_bad_signature(km, kc):
    before = run(kc, 'let marker = "before"; marker')
    forged = Session(key=b"not-the-key", session=kc.session.session, username=kc.session.username)
    forged_msg = forged.msg("execute_request", {"code": 'marker = "pwned"', "silent": False, "store_history": True,
                                                 "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    forged.send(kc.shell_channel.socket, forged_msg)
    # Requests run in arrival order: by the time this one is answered the forged one was handled.
    after = run(kc, "marker")
    # A forged shutdown on control must not stop the kernel either.
    forged_shutdown = forged.msg("shutdown_request", {"restart": False})
    forged.send(kc.control_channel.socket, forged_shutdown)
    info_id = kc.kernel_info()
    info = shell_reply(kc, info_id)
    still = run(kc, "marker")
    return {"before": before, "after": after, "forged_msg_id": forged_msg["header"]["msg_id"],
            "kernel_info_after": info["msg_type"], "still": still}


def heartbeat_answers(km):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
    sock.send(b"ping")
    answered = sock.poll(10000) != 0
    reply = sock.recv() if answered else None
    sock.close()
    return reply == b"ping"


def scenario_interrupt(km, kc):
    run(kc, "let kept = 7;")
    msg_id = kc.execute('console.log("looping"); while (true) {}')
    # The loop starts right after "looping" is printed: wait for it so the interrupt hits the loop.
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            break
    hb_during_loop = heartbeat_answers(km)
    req = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(req)
    interrupt_reply = kc.get_control_msg(timeout=TIMEOUT)
    loop_reply = shell_reply(kc, msg_id)
    drain_iopub(kc)
    after = run(kc, "kept")
    return {"hb_during_loop": hb_during_loop, "interrupt_reply": interrupt_reply["msg_type"],
            "interrupt_status": interrupt_reply["content"]["status"],
            "loop_reply": loop_reply["content"], "after": after}


def stop_on_error_case(kc, stop_on_error, tag):
    marker = os.path.join(tempfile.mkdtemp(), "go")
    first = kc.execute(
        f'while (!require("fs").existsSync({json.dumps(marker)})) {{}}\nthrow new Error("failed-{tag}")',
        stop_on_error=stop_on_error)
    queued = [kc.execute(f'(globalThis as any).ran_{tag}_{i} = true; "ran {i}"') for i in range(2)]
    time.sleep(0.5)  # the queued requests reach the kernel's socket while the first cell blocks
    open(marker, "w").close()
    replies = [shell_reply(kc, first)["content"]] + [shell_reply(kc, q)["content"] for q in queued]
    iopub = [iopub_for(kc, m) for m in [first] + queued]
    later = run(kc, f'[(globalThis as any).ran_{tag}_0, (globalThis as any).ran_{tag}_1, "later ran"]')
    return {"replies": replies, "iopub": iopub, "later": later}


def scenario_stop_on_error(km, kc):
    return {"stop": stop_on_error_case(kc, True, "a"), "continue": stop_on_error_case(kc, False, "b")}


def scenario_history(km, kc):
    codes = ["1 + 1", "2 + 2", "'history-probe'"]
    for c in codes:
        run(kc, c)
    replies = {}
    for name, args in {
        "tail": dict(hist_access_type="tail", n=3, output=False, raw=True),
        "tail_output": dict(hist_access_type="tail", n=1, output=True, raw=True),
        "search": dict(hist_access_type="search", pattern="*history-probe*", output=False, raw=True),
    }.items():
        msg_id = kc.history(**args)
        replies[name] = shell_reply(kc, msg_id)["content"]
    session, line, _ = replies["tail"]["history"][0]
    msg_id = kc.history(hist_access_type="range", session=session, start=line, stop=line + 2, output=False, raw=True)
    replies["range"] = shell_reply(kc, msg_id)["content"]
    return {"codes": codes, "replies": replies}


def scenario_is_complete(km, kc):
    out = {}
    for code in ["let x = 1;", "function f() {", "const s = `abc", "let = = ;", "for (let i = 0; i < 3; i++) {\n"]:
        msg_id = kc.is_complete(code)
        out[code] = shell_reply(kc, msg_id)["content"]
    return out


def scenario_timer_attribution(km, kc):
    t1 = kc.execute('setTimeout(() => console.log("from-timer"), 300); "timer started"')
    shell_reply(kc, t1)
    t2 = kc.execute('await new Promise((r) => setTimeout(r, 1500)); "second cell done"')
    shell_reply(kc, t2)
    parents = []
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:
            break
        if msg["msg_type"] == "stream" and "from-timer" in msg["content"]["text"]:
            parents.append(msg["parent_header"].get("msg_id"))
            break
    return {"t1": t1, "t2": t2, "timer_parents": parents}


def scenario_stdin(km, kc):
    msg_id = kc.execute('const answer = await input("Name? "); "hello " + answer', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=TIMEOUT)
    kc.input("Ada")
    reply = shell_reply(kc, msg_id)
    io = iopub_for(kc, msg_id)
    refused = run(kc, 'await input("again? ")', allow_stdin=False)
    return {"request": {"msg_type": request["msg_type"], "content": request["content"],
                        "parent": request["parent_header"].get("msg_id")},
            "exec_id": msg_id, "reply": reply["content"], "iopub": io, "refused": refused["reply"]}


def scenario_misc(km, kc):
    out = {}
    msg_id = kc.comm_info()
    r = shell_reply(kc, msg_id)
    out["comm_info"] = {"msg_type": r["msg_type"], "content": r["content"]}
    msg_id = kc.complete("Math.flo", 8)
    out["complete"] = shell_reply(kc, msg_id)["content"]
    msg_id = kc.inspect("Math", 2)
    out["inspect"] = shell_reply(kc, msg_id)["content"]
    # Unknown types and comm messages are ignored; the kernel keeps answering in order.
    kc.shell_channel.send(kc.session.msg("no_such_request", {}))
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": "nope", "data": {}}))
    msg_id = kc.kernel_info()
    out["after_unknown"] = shell_reply(kc, msg_id)["msg_type"]
    # kernel_info on control is answered by the main thread through the control worker.
    req = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(req)
    out["control_kernel_info"] = kc.get_control_msg(timeout=TIMEOUT)["msg_type"]
    return out


def scenario_shutdown_restart(km, kc):
    msg_id = kc.shutdown(restart=True)
    reply = kc.get_control_msg(timeout=TIMEOUT)
    code = km.provisioner.process.wait(timeout=30)
    return {"msg_type": reply["msg_type"], "content": reply["content"], "parent_ok": reply["parent_header"].get("msg_id") == msg_id,
            "exit_code": code}


def main():
    kernel_name, scenarios = sys.argv[1], sys.argv[2:]
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
    try:
        for name in scenarios:
            drain_iopub(kc)
            try:
                result = globals()[f"scenario_{name}"](km, kc)
                print(json.dumps({"scenario": name, "result": result}), flush=True)
            except Exception as e:  # report and go on: each scenario is its own test
                print(json.dumps({"scenario": name, "error": f"{type(e).__name__}: {e}"}), flush=True)
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
