"""Runs a list of cells in one tfjs-lab kernel through jupyter_client (a real Jupyter client,
sending execute_request) and prints, one JSON line per cell, the execute_reply's status /
ename / evalue and every iopub output of that cell; magics-kernel.test.ts asserts on them.

Usage: magics_driver.py KERNEL_NAME CELLS.json   (JUPYTER_PATH must hold the kernelspec;
CELLS.json is a JSON array of code strings)
"""
import json
import sys

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60
OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "error"}


def shell_reply(kc, msg_id):
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    # start_new_kernel may leave kernel_info replies from its readiness probing.
    while reply["parent_header"].get("msg_id") != msg_id:
        if reply["msg_type"] != "kernel_info_reply":
            raise AssertionError(f"expected the reply to {msg_id}, got {reply['msg_type']} to {reply['parent_header'].get('msg_id')}")
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return reply["content"]


def outputs_of(kc, msg_id):
    """The cell's outputs on iopub, from busy to idle, in the order the kernel sent them."""
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return out
        if kind not in OUTPUT_TYPES:
            continue
        row = {"type": kind}
        if kind == "stream":
            row.update(name=content["name"], text=content["text"])
        elif kind == "error":
            row.update(ename=content["ename"], evalue=content["evalue"], traceback=content["traceback"])
        else:
            row.update(data=content["data"], display_id=content.get("transient", {}).get("display_id"))
        out.append(row)


def main():
    kernel_name, cells_file = sys.argv[1], sys.argv[2]
    with open(cells_file) as f:
        cells = json.load(f)
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
    try:
        for code in cells:
            msg_id = kc.execute(code)
            reply = shell_reply(kc, msg_id)
            row = {"code": code, "status": reply["status"], "ename": reply.get("ename"), "evalue": reply.get("evalue"),
                   "outputs": outputs_of(kc, msg_id)}
            print(json.dumps(row), flush=True)
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
