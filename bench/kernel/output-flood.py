"""Output flood benchmark (issue 18), driven by Debian's jupyter_client: one cell printing
100,000 lines, one printing 200 MB (2,000,000 lines of 101 bytes), in tfjs-lab and in
Debian's ipykernel doing the same printing. Checks that every byte arrives, in order, and
that the cell finishes (execute_reply and idle); prints one JSON object per kernel and case,
then the tfjs-lab / ipykernel time ratios.
Usage: /usr/bin/python3 bench/kernel/output-flood.py   (run from the repository root; builds nothing)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

if subprocess.run([sys.executable, "-c", "import ipykernel, jupyter_client"], capture_output=True).returncode != 0:
    # Debian's ipykernel is the baseline; install it when missing (the bench runs as root in CI images).
    subprocess.run(["apt-get", "install", "-y", "-qq", "python3-ipykernel", "python3-jupyter-client"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})

from jupyter_client import BlockingKernelClient  # noqa: E402
from jupyter_client.connect import write_connection_file  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNELS = {
    "tfjs-lab": ["node", os.path.join(REPO, "dist", "src", "cli", "main.js"), "kernel", "{connection_file}"],
    "ipykernel": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
}
# (name, lines, line body without the newline: 9-digit index, space, filler; 101 bytes with "\n")
CASES = [("100k_lines", 100_000, 90), ("200MB", 2_000_000, 90)]
CODE = {
    "tfjs-lab": 'const fill = "y".repeat({w});\nfor (let i = 0; i < {n}; i++) console.log(String(i).padStart(9, "0") + " " + fill)',
    "ipykernel": 'fill = "y" * {w}\nfor i in range({n}):\n    print(f"{{i:09d}} " + fill)',
}


def launch(argv):
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    write_connection_file(path, ip="127.0.0.1", key=os.urandom(16).hex().encode())
    proc = subprocess.Popen([a.replace("{connection_file}", path) for a in argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    client = BlockingKernelClient(connection_file=path)
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return proc, client


def flood(client, code, n, w, timeout=900):
    t0 = time.perf_counter()
    msg_id = client.execute(code)
    chunks, messages, idle, reply = [], 0, False, None
    deadline = time.time() + timeout
    while not (idle and reply):
        if reply is None:
            try:
                r = client.get_shell_msg(timeout=0)
                if r["parent_header"].get("msg_id") == msg_id:
                    reply = r["content"]["status"]
            except Exception:
                pass
        try:
            m = client.get_iopub_msg(timeout=max(0.01, min(1, deadline - time.time())))
        except Exception:
            if time.time() > deadline:
                break
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout":
            chunks.append(m["content"]["text"])
            messages += 1
        elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            idle = True
    seconds = time.perf_counter() - t0
    text = "".join(chunks)
    fill = "y" * w
    expected = "".join(f"{i:09d} {fill}\n" for i in range(n))
    return {"seconds": round(seconds, 2), "bytes": len(text), "expected_bytes": len(expected), "exact": text == expected,
            "stream_messages": messages, "finished": idle and reply == "ok"}


def main():
    results = {}
    for kernel, argv in KERNELS.items():
        proc, client = launch(argv)
        try:
            client.execute_interactive("1", timeout=120, output_hook=lambda m: None)  # warm-up (tfjs-lab loads its compiler)
            for case, n, w in CASES:
                r = flood(client, CODE[kernel].format(n=n, w=w), n, w)
                results[(kernel, case)] = r
                print(json.dumps({"kernel": kernel, "case": case, **r}), flush=True)
        finally:
            client.stop_channels()
            proc.kill()
            proc.wait()
    for _, case_n in ((0, c[0]) for c in CASES):
        a, b = results.get(("tfjs-lab", case_n)), results.get(("ipykernel", case_n))
        if a and b:
            print(json.dumps({"case": case_n, "tfjs_lab_over_ipykernel": round(a["seconds"] / b["seconds"], 2)}), flush=True)


if __name__ == "__main__":
    main()
