"""Soak: thousands of cells through one tfjs-lab kernel (jupyter_client), mixing tensor work,
displays with ids and updates, magics and prints; every cell is its own execute_request.
Prints one JSON line for soak.test.ts. Usage: soak_driver.py KERNEL_NAME WORKDIR CELLS

Cells of one kind come in runs of GROUP identical sources (the compiler re-checks only a
changed cell), and each run is sent pipelined: the kernel queues the requests, which also
tests that output stays with its own request. Each printing cell prints a token from a
counter, so token k must arrive exactly once, in the k-th printing cell's output.
"""
import json
import statistics
import sys
import time

from lab_client import emit, heartbeat_answers, result_text, run, shell_reply, start, stop, value

GROUP = 25
NEXT = "(++(globalThis as any).soakN)"
KINDS = [
    ("tensor", True, "{ const t = tf.tidy(() => tf.randomNormal([16, 16]).matMul(tf.ones([16, 16])).relu().sum()); t.dataSync(); t.dispose(); }\n"
                     f'console.log("tok" + {NEXT});'),
    ("display", True, f'{{ const k = {NEXT}; display("shown" + k, {{ displayId: "soak" + k }});\n'
                      'display("tok" + k, { displayId: "soak" + k, update: true }); }'),
    ("who", False, "%who"),
    ("time", True, f'%time console.log("tok" + {NEXT})'),
    ("shapes", False, "%shapes"),
    ("print", True, f'process.stdout.write("tok" + {NEXT} + "\\n"); console.error("err-line");'),
]
PROBE = "{ n: tf.memory().numTensors, bytes: tf.memory().numBytes, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, external: process.memoryUsage().external }"


def tokens_in(msgs):
    out = []
    for m in msgs:
        c = m["content"]
        if m["msg_type"] == "stream":
            out += [w for w in c["text"].split() if w.startswith("tok")]
        elif m["msg_type"] in ("display_data", "update_display_data"):
            t = c["data"].get("text/plain", "").strip("'")
            if m["msg_type"] == "update_display_data" and t.startswith("tok"):
                out.append(t)
    return out


def trivial_latency(kc, n=20):
    times = []
    for _ in range(n):
        t0 = time.time()
        reply, iopub = run(kc, "1 + 1")
        assert result_text(iopub) == "2"
        times.append(time.time() - t0)
    return statistics.median(times)


def run_group(kc, code, count, expect_tokens, next_token, problems):
    ids = [kc.execute(code) for _ in range(count)]
    replies = {}
    for _ in ids:
        r = kc.get_shell_msg(timeout=120)
        replies[r["parent_header"].get("msg_id")] = r["content"]
    per = {i: [] for i in ids}
    idle = set()
    while len(idle) < len(ids):
        m = kc.get_iopub_msg(timeout=120)
        pid = m["parent_header"].get("msg_id")
        if pid not in per:
            problems.append(f"iopub {m['msg_type']} with a foreign parent {pid}")
            continue
        per[pid].append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            idle.add(pid)
    for i in ids:
        rep = replies.get(i)
        if not rep or rep["status"] != "ok":
            problems.append(f"{code[:30]!r}: reply {rep and rep.get('status')} {rep and rep.get('ename')}: {rep and rep.get('evalue')}")
        got = tokens_in(per[i])
        if expect_tokens:
            want = [f"tok{next_token}"]
            if got != want:
                problems.append(f"{code[:30]!r}: cell {i} wanted {want}, got {got}")
            next_token += 1
        elif not any(m["msg_type"] in ("stream", "display_data", "execute_result") for m in per[i]):
            problems.append(f"{code[:30]!r}: no output")
    return next_token


def main():
    kernel_name, _workdir, cells = sys.argv[1], sys.argv[2], int(sys.argv[3])
    km, kc = start(kernel_name)
    try:
        run(kc, "(globalThis as any).soakN = 0; const kept = tf.ones([2, 3]); tf.memory().numTensors", timeout=120)
        # the first group of each kind compiles; start counting once every kind ran once
        problems = []
        token = 1
        for name, prints, code in KINDS:
            token = run_group(kc, code, 1, prints, token, problems)
        t_start = time.time()
        start_probe = value(kc, PROBE)
        start_latency = trivial_latency(kc)
        probes = [{"cells": 0, **start_probe}]
        done = 0
        mid = None
        k = 0
        while done < cells:
            name, prints, code = KINDS[k % len(KINDS)]
            n = min(GROUP, cells - done)
            token = run_group(kc, code, n, prints, token, problems)
            done += n
            k += 1
            if done % 500 == 0 or done == cells:
                probes.append({"cells": done, **value(kc, PROBE)})
            if mid is None and done >= 1000:
                mid = {"cells": done, "probe": probes[-1], "latency": trivial_latency(kc), "hb": heartbeat_answers(km)}
        end = value(kc, PROBE)
        emit({"scenario": "soak", "seconds": time.time() - t_start, "result": {
            "cells": done, "tokens": token - 1, "problems": problems[:50], "problem_count": len(problems),
            "start": start_probe, "end": end, "probes": probes, "mid": mid,
            "start_latency": start_latency, "end_latency": trivial_latency(kc), "hb": heartbeat_answers(km),
            "kept": result_text(run(kc, "kept.shape")[1])}})
    except Exception as e:
        emit({"scenario": "soak", "error": f"{type(e).__name__}: {e}"})
    finally:
        stop(km, kc)


if __name__ == "__main__":
    main()
