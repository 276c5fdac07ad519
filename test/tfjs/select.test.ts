// Backend selection: default order, the environment override, %backend, clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ENV_VAR, currentBackend, describeReport, initBackend, memoryInfo, switchBackend } from "../../src/tfjs";
import * as os from "node:os";
import { WASM_THREADS_ENV_VAR, wantedWasmThreads } from "../../src/tfjs/wasm-threads";

test("default selection: wasm on a machine without GPU, every failed probe in one line", async () => {
  delete process.env[BACKEND_ENV_VAR];
  const logged: string[] = [];
  const report = await initBackend({ log: (l) => logged.push(l) });
  const webgpu = report.probes.find((p) => p.name === "webgpu");
  assert.ok(webgpu, "webgpu was probed");
  if (!webgpu.ok) {
    assert.equal(report.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.ok(report.describe().includes(`webgpu: ${webgpu.detail}`), report.describe());
  }
  const line = report.describe();
  assert.ok(line.startsWith(`backend: ${report.name}`), line);
  assert.ok(!line.includes("\n") && !/\bat .*:\d+/.test(line), `one line, no stack: ${line}`);
  assert.ok(report.probes.find((p) => p.name === "tensorflow")?.detail.length, "tensorflow probe explained");
  assert.deepEqual(logged, [line]);
  if (report.name === "wasm") {
    // Half the cores from 4 up, else 1 (TFJS_LAB_WASM_THREADS overrides), said in the wasm probe's line.
    const wasmProbe = report.probes.find((p) => p.name === "wasm")!;
    assert.ok(report.threads! >= 1, `threads: ${report.threads}`);
    assert.match(wasmProbe.detail, new RegExp(`\\b${report.threads} threads?\\b`));
  } else {
    assert.equal(report.threads, undefined);
  }
  assert.equal(await initBackend(), report, "a second call returns the same report");
  assert.equal(currentBackend(), report);
  assert.ok(describeReport(report).split("\n").length >= report.probes.length + 1);
});

test("TFJS_LAB_BACKEND=cpu picks cpu", async () => {
  process.env[BACKEND_ENV_VAR] = "cpu";
  try {
    const report = await initBackend();
    assert.equal(report.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal(report.describe(), `backend: cpu (asked for by ${BACKEND_ENV_VAR})`);
  } finally {
    delete process.env[BACKEND_ENV_VAR];
  }
});

test("unknown backend names give a ValueError listing the available ones", async () => {
  await assert.rejects(switchBackend("cuda"), {
    name: "ValueError",
    message: "Unknown backend 'cuda' (from %backend). Available backends: tensorflow, webgpu, wasm, cpu.",
  });
  process.env[BACKEND_ENV_VAR] = "gpu";
  try {
    await assert.rejects(initBackend(), { name: "ValueError", message: /Unknown backend 'gpu' \(from TFJS_LAB_BACKEND\)/ });
  } finally {
    delete process.env[BACKEND_ENV_VAR];
  }
});

test("switchBackend moves between backends and memoryInfo reports the wasm heap", async () => {
  const cpu = await switchBackend("cpu");
  assert.equal(cpu.name, "cpu");
  const wasm = await switchBackend("WASM");
  assert.equal(wasm.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  const t = tf.zeros([256, 256]);
  const mem = memoryInfo();
  assert.equal(mem.backend, "wasm");
  assert.ok(mem.numBytes >= 256 * 256 * 4);
  assert.ok((mem.wasmHeapBytes ?? 0) >= mem.numBytes);
  t.dispose();
});

test("wasm threads: half the cores from 4 cores up, else every core; TFJS_LAB_WASM_THREADS overrides; a bad value is reported, not fatal", () => {
  const saved = process.env[WASM_THREADS_ENV_VAR];
  try {
    delete process.env[WASM_THREADS_ENV_VAR];
    const cores = os.cpus().length;
    assert.deepEqual(wantedWasmThreads(), { threads: cores >= 4 ? Math.min(Math.floor(cores / 2), 64) : cores });
    process.env[WASM_THREADS_ENV_VAR] = "3";
    assert.deepEqual(wantedWasmThreads(), { threads: 3 });
    process.env[WASM_THREADS_ENV_VAR] = "500";
    assert.deepEqual(wantedWasmThreads(), { threads: 64 });
    for (const bad of ["0", "two", "1.5"]) {
      process.env[WASM_THREADS_ENV_VAR] = bad;
      const r = wantedWasmThreads();
      assert.equal(r.warning, `TFJS_LAB_WASM_THREADS='${bad}' ignored: not a whole number >= 1`);
      assert.ok(r.threads >= 1);
    }
  } finally {
    if (saved === undefined) delete process.env[WASM_THREADS_ENV_VAR];
    else process.env[WASM_THREADS_ENV_VAR] = saved;
  }
});
