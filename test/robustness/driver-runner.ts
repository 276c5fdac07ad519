// Runs one of this folder's Python drivers (jupyter_client against a real tfjs-lab kernel)
// and collects its JSON lines by scenario; the kernel's log (stderr) comes back with them.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KERNEL_NAME, REPO_ROOT, makeJupyterPath, pythonJupyterMissing, runPython } from "../kernel/kernel-harness";

export type Json = any;

export interface DriverRun {
  /** Scenario name -> its result (throws, with the kernel log, when the driver reported an error). */
  result(name: string): Json;
  seconds(name: string): number;
  kernelLog: string;
  workdir: string;
}

export async function runDriver(script: string, scenarios: string[], timeoutMs: number): Promise<DriverRun> {
  // npm test installs Debian's jupyter_client (test/run.sh); missing is a failure, never a silent skip.
  const missing = pythonJupyterMissing();
  assert.equal(missing, null, missing ?? "");
  const workdir = mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-robustness-"));
  const here = path.join(REPO_ROOT, "test", "robustness");
  const r = await runPython(
    [path.join(here, script), KERNEL_NAME, workdir, ...scenarios],
    { JUPYTER_PATH: makeJupyterPath(), PYTHONPATH: here },
    timeoutMs,
  );
  const rows = new Map<string, Json>();
  for (const line of r.stdout.split("\n"))
    if (line.startsWith("{")) {
      const row = JSON.parse(line);
      rows.set(row.scenario, row);
    }
  if (rows.size === 0) throw new Error(`${script} produced nothing (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  const row = (name: string) => {
    const x = rows.get(name);
    assert.ok(x, `scenario ${name} did not run (driver exit ${r.code})\n${r.stderr.slice(-4000)}`);
    assert.equal(
      x.error,
      undefined,
      `scenario ${name} failed in the driver: ${x.error}\n--- kernel/driver stderr ---\n${r.stderr.slice(-4000)}`,
    );
    return x;
  };
  return { result: (n) => row(n).result, seconds: (n) => row(n).seconds, kernelLog: r.stderr, workdir };
}
