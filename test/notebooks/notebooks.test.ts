// Every notebook, executed through the installed kernel by Debian's nbclient (as nbconvert
// --execute does, with the notebook's folder as the kernel's working directory): cells tagged
// raises-exception raise exactly the documented error (name and text), every other cell runs
// without error (their assertions are the proofs the reader sees), the checks of
// notebook-checks.ts, appended as cells, pass in the same session, and the committed copy is
// the output of such an execution (its code cells all carry outputs or counts).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { writeKernelSpec } from "../../src/cli/install-command";
import { readNotebook, writeNotebook, hasTag, sourceText, type Cell, type Output } from "../../src/runner/nbformat";
import { CHECKS_PRELUDE, NOTEBOOK_CHECKS } from "./notebook-checks";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const NOTEBOOKS = fs
  .readdirSync(path.join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

// nbconvert --execute's preprocessor, with errors recorded rather than stopping the run so that
// every failing check is reported; untagged cells are still required to be error-free below.
const EXECUTE = `
import sys, nbformat, nbclient
src, out, cwd = sys.argv[1:4]
nb = nbformat.read(src, as_version=4)
nbclient.NotebookClient(nb, kernel_name="tfjs-lab", timeout=500, allow_errors=True, resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, out)
`;

const checkCell = (source: string, i: number): Cell => ({
  cell_type: "code",
  id: `notebook-check-${i}`,
  metadata: { tags: ["notebook-check"] },
  source,
  outputs: [],
  execution_count: null,
});

test("there are notebooks to check, and every set of checks names a notebook", () => {
  assert.ok(NOTEBOOKS.length > 0);
  for (const name of Object.keys(NOTEBOOK_CHECKS))
    assert.ok(NOTEBOOKS.includes(`${name}.ipynb`), `notebook-checks.ts: no notebook ${name}.ipynb`);
});

for (const name of NOTEBOOKS) {
  test(`${name} executes under nbclient with the documented errors, passing proofs and passing checks`, { timeout: 600_000 }, () => {
    const jp = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-nb-"));
    writeKernelSpec(path.join(jp, "kernels", "tfjs-lab"));
    const committed = readNotebook(path.join(ROOT, "notebooks", name));
    const checks = NOTEBOOK_CHECKS[name.replace(/\.ipynb$/, "")] ?? [];
    const withChecks = { ...committed, cells: [...committed.cells, ...(checks.length ? [CHECKS_PRELUDE, ...checks] : []).map(checkCell)] };
    const input = path.join(jp, "with-checks.ipynb"),
      output = path.join(jp, name);
    writeNotebook(input, withChecks);
    const r = spawnSync("/usr/bin/python3", ["-c", EXECUTE, input, output, path.join(ROOT, "notebooks")], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: jp },
      cwd: ROOT,
    });
    assert.equal(r.status, 0, `nbclient failed:\n${r.stderr.slice(-4000)}`);
    const run = readNotebook(output);
    const executed = { ...run, cells: run.cells.slice(0, committed.cells.length) };
    const failedChecks = run.cells
      .slice(committed.cells.length)
      .flatMap((c) =>
        (c.outputs ?? [])
          .filter((o: Output) => o.output_type === "error")
          .map((o) => `${sourceText(c.source)}\n  -> ${o.ename}: ${o.evalue}`),
      );
    assert.equal(run.cells.length, committed.cells.length + (checks.length ? checks.length + 1 : 0));
    const expected: string[] = executed.metadata.tfjs_lab?.expected_errors ?? [];
    const raised: string[] = [];
    for (const [i, cell] of executed.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const errors = (cell.outputs ?? []).filter((o: Output) => o.output_type === "error");
      if (hasTag(cell, "raises-exception")) {
        assert.equal(
          errors.length,
          1,
          `cell ${i} is tagged raises-exception but raised ${errors.length} errors:\n${sourceText(cell.source)}`,
        );
        raised.push(`${errors[0].ename}: ${errors[0].evalue}`);
      } else {
        assert.equal(
          errors.length,
          0,
          `cell ${i} failed: ${errors.map((e) => `${e.ename}: ${e.evalue}`).join("; ")}\n${sourceText(cell.source)}`,
        );
      }
      assert.ok(typeof cell.execution_count === "number", `cell ${i} did not run`);
    }
    assert.deepEqual(raised, expected, "the tagged cells raised exactly the documented errors, in order");
    assert.deepEqual(failedChecks, [], `checks of notebook-checks.ts failed:\n${failedChecks.join("\n")}`);
    for (const c of run.cells.slice(committed.cells.length))
      assert.ok(typeof c.execution_count === "number", `check did not run: ${sourceText(c.source)}`);
    // The committed notebook was produced by the same execution: same cells, every code cell run.
    assert.deepEqual(
      committed.cells.map((c) => sourceText(c.source)),
      executed.cells.map((c) => sourceText(c.source)),
    );
    for (const c of committed.cells.filter((c) => c.cell_type === "code"))
      assert.ok(typeof c.execution_count === "number", "committed notebook has unexecuted cells: run npm run notebooks");
    const size = fs.statSync(path.join(ROOT, "notebooks", name)).size;
    assert.ok(size < 1_000_000, `${name} is ${size} bytes; committed notebooks stay under 1 MB`);
    fs.rmSync(jp, { recursive: true, force: true });
  });
}
