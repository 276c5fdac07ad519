// The Jupyter conformance suite (Debian's python3-jupyter-kernel-test) against the kernel,
// installed into a temporary JUPYTER_PATH.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { KERNEL_NAME, REPO_ROOT, makeJupyterPath, pythonJupyterMissing, runPython } from "./kernel-harness";

const missing = pythonJupyterMissing(["jupyter_client", "jupyter_kernel_test"]);

test("jupyter_kernel_test conformance suite passes", { timeout: 300_000 }, async () => {
  // npm test installs these (test/run.sh); a missing package is a failure, never a silent skip.
  assert.equal(missing, null, missing ?? "");
  // Run from test/kernel: as "test/kernel/conformance_test.py" unittest would look for it in
  // Python's own `test` package.
  const r = await runPython(
    ["-m", "unittest", "-v", "conformance_test.py"],
    {
      JUPYTER_PATH: makeJupyterPath(),
      TFJS_LAB_KERNEL_NAME: KERNEL_NAME,
    },
    280_000,
    path.join(REPO_ROOT, "test", "kernel"),
  );
  // unittest reports on stderr: every test line, then OK or FAILED.
  assert.equal(r.code, 0, `conformance suite failed:\n${r.stderr}`);
  assert.match(r.stderr, /\nOK( \(skipped=1\))?\n/);
  // Only test_pager may be skipped (no page payloads, see conformance_test.py).
  const skipped = r.stderr.split("\n").filter((l) => / \.\.\. skipped/.test(l));
  assert.ok(
    skipped.every((l) => l.startsWith("test_pager")),
    `unexpected skips:\n${skipped.join("\n")}`,
  );
});
