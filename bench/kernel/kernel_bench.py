"""Kernel latency benchmark, driven by a real Jupyter client (Debian's jupyter_client).

For each kernel command given, measures in one run on this machine:
  startup_ms   launch of the kernel process -> first kernel_info_reply (median of N launches)
  trivial_ms   round trip of execute_request "1" -> execute_reply (median of 50, after warm-up)
  new_cell_ms  the same for a trivial cell not seen before ("2", "3", ...; median of 30)
  loop_top_ms  `for (let i = 0; i < 1e7; i++) x += i` on a top-level `let x` (median of 5; the first run includes the type-check)
  loop_block_ms the same loop on a variable declared in a block (median of 5; the first run includes the type-check)
Prints one JSON object per kernel on stdout.
Usage: /usr/bin/python3 kernel_bench.py NAME=ARGV_JSON [NAME=ARGV_JSON ...]
  ARGV_JSON is the kernel's argv with {connection_file} where the file goes.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

LAUNCHES = int(os.environ.get("BENCH_LAUNCHES", "5"))


def launch(argv):
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    write_connection_file(path, ip="127.0.0.1", key=os.urandom(16).hex().encode())
    t0 = time.perf_counter()
    proc = subprocess.Popen([a.replace("{connection_file}", path) for a in argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    client = BlockingKernelClient(connection_file=path)
    client.load_connection_file()
    client.start_channels()
    client.kernel_info()
    client.get_shell_msg(timeout=60)
    startup = (time.perf_counter() - t0) * 1000
    return proc, client, path, startup


def execute(client, code, timeout=600):
    t0 = time.perf_counter()
    msg_id = client.execute(code, store_history=False)
    while True:
        reply = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    ms = (time.perf_counter() - t0) * 1000
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return ms


def stop(proc, client, path):
    try:
        client.shutdown()
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
    client.stop_channels()
    os.unlink(path)


def bench(argv):
    startups = []
    for _ in range(LAUNCHES):
        proc, client, path, ms = launch(argv)
        startups.append(ms)
        stop(proc, client, path)
    proc, client, path, _ = launch(argv)
    try:
        execute(client, "1")  # first cell loads the compiler
        trivial = [execute(client, "1") for _ in range(50)]
        new_cell = [execute(client, str(n)) for n in range(2, 32)]
        execute(client, "let x = 0;")
        top = [execute(client, "x = 0;\nfor (let i = 0; i < 1e7; i++) x += i;") for _ in range(5)]
        block = [execute(client, "{ let y = 0; for (let i = 0; i < 1e7; i++) y += i; }") for _ in range(5)]
    finally:
        stop(proc, client, path)
    return {
        "startup_ms": statistics.median(startups),
        "trivial_ms": statistics.median(trivial),
        "new_cell_ms": statistics.median(new_cell),
        "loop_top_ms": statistics.median(top),
        "loop_block_ms": statistics.median(block),
    }


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        name, argv = arg.split("=", 1)
        result = bench(json.loads(argv))
        result["kernel"] = name
        print(json.dumps(result), flush=True)
