"""Executes one code cell (read from stdin) with nbclient, as nbconvert does, and prints the
cell's saved outputs as JSON: after nbclient has applied every update_display_data."""
import json
import sys

import nbclient
import nbformat

kernel_name = sys.argv[1]
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(sys.stdin.read())])
nbclient.NotebookClient(nb, kernel_name=kernel_name, timeout=120).execute()
print(json.dumps([{"output_type": o.output_type, "data": o.get("data", {})} for o in nb.cells[0].outputs]))
