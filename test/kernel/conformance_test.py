"""The Jupyter project's kernel conformance suite (jupyter_kernel_test) against tfjs-lab.

Run by conformance.test.ts with JUPYTER_PATH holding a kernelspec named by
TFJS_LAB_KERNEL_NAME:
  cd test/kernel && /usr/bin/python3 -m unittest -v conformance_test.py
(run from test/kernel: otherwise unittest looks in Python's own `test` package)
"""
import os
import unittest

import jupyter_kernel_test


class TfjsLabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("TFJS_LAB_KERNEL_NAME", "tfjs-lab")

    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "const alpha_beta = 1; alpha_b", "matches": {"alpha_beta"}},
    ]

    complete_code_samples = ["1", "let x = 1;", "console.log(1)", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const s = `abc", "if (true) {", "[1, 2,"]
    invalid_code_samples = ["let = = ;", "1 +* 2"]

    # code_page_something stays empty: the kernel sends help as inspect_reply (Shift+Tab) and
    # magic help as stream output; it has no "page" payload (IPython's `obj?`) to test.

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].length", "result": "3"},
    ]

    code_display_data = [
        {"code": 'display("shown")', "mime": "text/plain"},
        {"code": 'display({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>hi</b>" }; } })',
         "mime": "text/html"},
    ]

    # Must match exactly one of code_execute_result's inputs (glob, as IPython's search).
    code_history_pattern = "1 + 2"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math"

    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main()
