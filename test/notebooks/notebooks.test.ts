// Every notebook, executed through the installed kernel by Debian's nbconvert/nbclient:
// cells tagged raises-exception raise exactly the documented error (name and text), every
// other cell runs without error (their assertions are the proofs), and the committed copy
// is the output of such an execution (its code cells all carry outputs or counts).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { writeKernelSpec } from "../../src/cli/install-command";
import { readNotebook, hasTag, sourceText, type Output } from "../../src/runner/nbformat";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const NOTEBOOKS = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();

test("there are notebooks to check", () => {
  assert.ok(NOTEBOOKS.length > 0);
});

for (const name of NOTEBOOKS) {
  test(`${name} executes under nbconvert with the documented errors and passing proofs`, { timeout: 600_000 }, () => {
    const jp = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-nb-"));
    writeKernelSpec(path.join(jp, "kernels", "tfjs-lab"));
    const outDir = path.join(jp, "out");
    const r = spawnSync("/usr/bin/python3", ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
      "--ExecutePreprocessor.kernel_name=tfjs-lab", "--ExecutePreprocessor.timeout=500", "--output-dir", outDir,
      path.join(ROOT, "notebooks", name)], { encoding: "utf8", env: { ...process.env, JUPYTER_PATH: jp, TFJS_LAB_PLOTLY_HTML: "0" }, cwd: ROOT });
    assert.equal(r.status, 0, `nbconvert failed:\n${r.stderr.slice(-4000)}`);
    const executed = readNotebook(path.join(outDir, name));
    const expected: string[] = executed.metadata.tfjs_lab?.expected_errors ?? [];
    const raised: string[] = [];
    for (const [i, cell] of executed.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const errors = (cell.outputs ?? []).filter((o: Output) => o.output_type === "error");
      if (hasTag(cell, "raises-exception")) {
        assert.equal(errors.length, 1, `cell ${i} is tagged raises-exception but raised ${errors.length} errors:\n${sourceText(cell.source)}`);
        raised.push(`${errors[0].ename}: ${errors[0].evalue}`);
      } else {
        assert.equal(errors.length, 0, `cell ${i} failed: ${errors.map((e) => `${e.ename}: ${e.evalue}`).join("; ")}\n${sourceText(cell.source)}`);
      }
      assert.ok(typeof cell.execution_count === "number", `cell ${i} did not run`);
    }
    assert.deepEqual(raised, expected, "the tagged cells raised exactly the documented errors, in order");
    // The committed notebook was produced by the same execution: same cells, every code cell run.
    const committed = readNotebook(path.join(ROOT, "notebooks", name));
    assert.deepEqual(committed.cells.map((c) => sourceText(c.source)), executed.cells.map((c) => sourceText(c.source)));
    for (const c of committed.cells.filter((c) => c.cell_type === "code")) assert.ok(typeof c.execution_count === "number", "committed notebook has unexecuted cells: run npm run notebooks");
    const size = fs.statSync(path.join(ROOT, "notebooks", name)).size;
    assert.ok(size < 1_000_000, `${name} is ${size} bytes; committed notebooks stay under 1 MB`);
    fs.rmSync(jp, { recursive: true, force: true });
  });
}
