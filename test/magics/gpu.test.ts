// %gpu through the engine: the no-GPU line, a GPU table from nvidia-smi (a stand-in
// script on PATH), a failing nvidia-smi, and its UsageError.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cellRunner } from "./run-cell";
import { parseSmiCsv } from "../../src/magics/gpu";

const cells = cellRunner();
const savedPath = process.env.PATH;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-smi-"));
after(async () => {
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
  await cells.engine.shutdown();
});

function fakeSmi(script: string): void {
  const file = path.join(dir, "nvidia-smi");
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`);
  fs.chmodSync(file, 0o755);
  process.env.PATH = `${dir}${path.delimiter}${savedPath}`;
}

test("parseSmiCsv reads nvidia-smi's noheader,nounits CSV", () => {
  assert.deepEqual(parseSmiCsv("0, NVIDIA H100 80GB HBM3, 1234, 81559\n1, NVIDIA H100 80GB HBM3, 5, 81559\n"), [
    { index: 0, name: "NVIDIA H100 80GB HBM3", usedMiB: 1234, totalMiB: 81559 },
    { index: 1, name: "NVIDIA H100 80GB HBM3", usedMiB: 5, totalMiB: 81559 },
  ]);
});

test("%gpu with nvidia-smi absent: one line saying so and which backend runs", async () => {
  process.env.PATH = dir; // an empty folder: no nvidia-smi
  try {
    const r = await cells.run("%gpu");
    assert.equal(r.status, "ok", r.evalue);
    assert.match(r.text, /^No GPU \(nvidia-smi not found\); TensorFlow\.js runs on the (wasm|cpu) backend \(CPU\)\.\n$/);
    assert.equal(r.displayText, "");
  } finally {
    process.env.PATH = savedPath;
  }
});

test("%gpu with a GPU: per-GPU name and memory from nvidia-smi, and the backend in use", async () => {
  fakeSmi('echo "0, NVIDIA H100 80GB HBM3, 1234, 81559"');
  const r = await cells.run("%gpu");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.text, /^Backend in use: (wasm|cpu) \(CPU: TensorFlow\.js does not use the GPU below\)$/m);
  assert.match(r.displayText, /gpu\s+name\s+used MiB\s+total MiB\s+used %/);
  assert.match(r.displayText, /0\s+NVIDIA H100 80GB HBM3\s+1234\s+81559\s+1\.5/);
  assert.match(r.html, /NVIDIA H100 80GB HBM3/);
});

test("%gpu when nvidia-smi fails: its message, no stack trace", async () => {
  fakeSmi('echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9');
  const r = await cells.run("%gpu");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(
    r.text,
    /^No GPU \(nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\.\); TensorFlow\.js runs on the \w+ backend \(CPU\)\.\n$/,
  );
  assert.ok(!/\s+at /.test(r.text));
});

test("%gpu: arguments are a UsageError; %gpu? is help", async () => {
  const r = await cells.run("%gpu 0");
  assert.equal(r.ename, "UsageError");
  assert.match(r.evalue!, /takes no arguments/);
  assert.match(r.evalue!, /Usage: %gpu/);
  const help = await cells.run("%gpu?");
  assert.match(help.text, /^Usage: %gpu\n/);
});
