"""Shared by the robustness drivers: start a tfjs-lab kernel through jupyter_client and run
cells, collecting each request's reply and its iopub messages (busy ... idle)."""
import json
import os
import sys
import time
import traceback

import zmq
from jupyter_client.manager import start_new_kernel

STARTUP_TIMEOUT = 120


def start(kernel_name):
    return start_new_kernel(kernel_name=kernel_name, startup_timeout=STARTUP_TIMEOUT)


def emit(obj):
    """One JSON line on stdout: the node test reads these."""
    print(json.dumps(obj), flush=True)


def reply_to(get_msg, msg_id, timeout):
    """The reply to msg_id read with get_msg (kc.get_shell_msg or kc.get_control_msg); other
    replies, e.g. start-up kernel_info probes, are skipped."""
    deadline = time.time() + timeout
    while True:
        reply = get_msg(timeout=max(0.01, deadline - time.time()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def shell_reply(kc, msg_id, timeout):
    return reply_to(kc.get_shell_msg, msg_id, timeout)


def control_reply(kc, msg_id, timeout):
    return reply_to(kc.get_control_msg, msg_id, timeout)


def iopub_until_idle(kc, msg_id, timeout=60, sink=None):
    """iopub messages whose parent is msg_id, up to its idle status. Messages of other parents
    go to `sink` (a list) so attribution can be checked."""
    out = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            if sink is not None:
                sink.append(msg)
            continue
        out.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def run(kc, code, timeout=60, **kw):
    """Executes one cell; returns (reply content, iopub messages of that cell)."""
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return reply["content"], iopub_until_idle(kc, msg_id, timeout)


def result_text(iopub):
    for m in iopub:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"].get("text/plain")
    return None


def stream_text(iopub):
    return "".join(m["content"]["text"] for m in iopub if m["msg_type"] == "stream")


def value(kc, expr, timeout=60):
    """The JSON value of a TypeScript expression (printed with JSON.stringify)."""
    reply, iopub = run(kc, f"console.log(JSON.stringify({expr}))", timeout)
    if reply["status"] != "ok":
        raise RuntimeError(f"{expr}: {reply.get('ename')}: {reply.get('evalue')}")
    return json.loads(stream_text(iopub).strip().splitlines()[-1])


def drain_iopub(kc, quiet=0.3):
    while True:
        try:
            kc.get_iopub_msg(timeout=quiet)
        except Exception:
            return


def heartbeat_answers(km, timeout_ms=10000):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
    sock.send(b"ping")
    answered = sock.poll(timeout_ms) != 0
    reply = sock.recv() if answered else None
    sock.close()
    return reply == b"ping"


def send_interrupt(kc):
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))


def stop(km, kc):
    try:
        kc.stop_channels()
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)


def run_scenarios(scenarios):
    """Driver entry point: argv is KERNEL_NAME WORKDIR SCENARIO...; each scenario(km, kc, workdir)
    gets a fresh kernel, so one fault cannot hide another, and emits one JSON line."""
    kernel_name, workdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    for name in names:
        km, kc = start(kernel_name)
        try:
            t0 = time.time()
            result = scenarios[f"scenario_{name}"](km, kc, workdir)
            emit({"scenario": name, "seconds": time.time() - t0, "result": result})
        except Exception as e:
            where = "".join(traceback.format_exception(e)[-3:])
            emit({"scenario": name, "error": f"{type(e).__name__}: {e}\n{where}"})
        finally:
            stop(km, kc)
