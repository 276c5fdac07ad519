"""Executes one code cell (read from stdin) with nbclient, as nbconvert does, and prints JSON:
the cell's saved outputs (after nbclient applied every update_display_data) and, in the order
the kernel sent them, each display message it received for the cell (type, display_id and,
for a plotly figure, each trace's name and point count), so the test can tell when the
figure was updated.

Usage: detector_live_chart.py KERNEL_NAME < cell.ts   (JUPYTER_PATH must hold the kernelspec)
"""
import json
import sys

import nbclient
import nbformat

PLOTLY = "application/vnd.plotly.v1+json"


def last_x(trace):
    """The largest x of a trace (its latest point: x is the fractional epoch)."""
    xs = [x for x in trace.get("x", []) if isinstance(x, (int, float))]
    return max(xs) if xs else None


class RecordingClient(nbclient.NotebookClient):
    """nbclient itself, noting each display message before applying it as usual."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.display_messages = []

    def process_message(self, msg, cell, cell_index):
        kind = msg["msg_type"]
        if kind in ("display_data", "update_display_data"):
            content = msg["content"]
            fig = content.get("data", {}).get(PLOTLY)
            self.display_messages.append({
                "type": kind,
                "display_id": content.get("transient", {}).get("display_id"),
                "text": content.get("data", {}).get("text/plain"),
                "traces": [[t.get("name"), len(t.get("y", [])), last_x(t)] for t in fig["data"]] if fig else None,
            })
        return super().process_message(msg, cell, cell_index)


def main():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(sys.stdin.read())])
    client = RecordingClient(nb, kernel_name=sys.argv[1], timeout=150)
    client.execute()
    outputs = [{"output_type": o.output_type, "data": o.get("data", {}), "ename": o.get("ename"), "evalue": o.get("evalue"),
                "text": o.get("text")} for o in nb.cells[0].outputs]
    print(json.dumps({"outputs": outputs, "display_messages": client.display_messages}))


if __name__ == "__main__":
    main()
