// The thread bench's exit status: the GPU package's smoke run (bench/gpu/pack-gpu.ts) relies on
// it to notice a file the package lacks, so a missing figure must fail the command. PyTorch is
// not among the test's Debian packages, so a stand-in Python prints the PyTorch side's one
// JSON line; the tfjs-lab side is the real bench process on wasm.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const SCRIPT = path.resolve(__dirname, "../../bench/toolkit/train-threads.js");
const ARGS = ["--only", "small", "--threads", "1", "--rounds", "1", "--warmup", "0", "--steps", "1", "--seconds", "0"];

function runBench(python: string): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...ARGS, "--python", python], {
    encoding: "utf8",
    env: { ...process.env, TFJS_LAB_WASM_THREADS: "1" },
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout };
}

test("train-threads exits 0 when every count has both figures", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-threads-"));
  try {
    const python = path.join(dir, "python3");
    fs.writeFileSync(python, `#!/bin/sh\necho '{"median_ms": 10, "torch": "stand-in", "peak_step_bytes": 1048576}'\n`, { mode: 0o755 });
    const { status, stdout } = runBench(python);
    assert.equal(status, 0, stdout);
    const row = stdout.split("\n").find((l) => l.startsWith("| small | 1 |"));
    assert.ok(row, stdout);
    assert.match(row, /^\| small \| 1 \| \d+\.\d \| 10\.0 \| \*\*\d+\.\d\dx\*\*/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("train-threads exits 1 and says why when a figure is missing", () => {
  const { status, stdout } = runBench("/nonexistent/python3");
  assert.equal(status, 1, stdout);
  assert.match(stdout, /\| small \| 1 \| \d+\.\d \| {2}\| PyTorch: not run: .*ENOENT/);
});
