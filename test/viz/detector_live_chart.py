"""Executes one code cell (read from stdin) with nbclient, as nbconvert does, and prints JSON:
the cell's saved outputs (after nbclient applied every update_display_data) and, in the order
the kernel sent them, each display message it received for the cell (type, display_id and,
for a plotly figure, each trace's name and point count), so the test can tell when the
figure was updated.

Usage: detector_live_chart.py KERNEL_NAME < cell.ts   (JUPYTER_PATH must hold the kernelspec)
"""
import json
import re
import sys

import nbclient
import nbformat

PLOTLY = "application/vnd.plotly.v1+json"
# An update carries the figure only in its HTML, as inert JSON (src/display/reprs/plotly.ts).
FIGURE_SCRIPT = re.compile(r'<script type="application/json" class="tfjs-lab-figure"[^>]*>([^<]*)</script>')


def figure_of(data):
    """The plotly figure a display bundle shows: its JSON, or the JSON its HTML holds."""
    if PLOTLY in data:
        return data[PLOTLY]
    held = FIGURE_SCRIPT.search(data.get("text/html", ""))
    return json.loads(held.group(1)) if held else None


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
            fig = figure_of(content.get("data", {}))
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
