// Selection on a machine whose only WebGPU adapter is SwiftShader: the default passes over
// it (slower than wasm) and says why in the probe's line; TFJS_LAB_BACKEND=webgpu and
// %backend webgpu still use it, and %gpu then shows the device's buffers.
import { requireSwiftShader } from "./swiftshader";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ENV_VAR, initBackend } from "../../src/tfjs";
import { cellRunner } from "../magics/run-cell";

before(requireSwiftShader);
const cells = cellRunner();
after(() => cells.engine.shutdown());

test("the default selection skips SwiftShader, with its reason; TFJS_LAB_BACKEND=webgpu uses it", async () => {
  delete process.env[BACKEND_ENV_VAR];
  const report = await initBackend();
  const webgpu = report.probes.find((p) => p.name === "webgpu")!;
  assert.equal(webgpu.ok, false);
  assert.match(
    webgpu.detail,
    /^skipped the software adapter 'SwiftShader[^']*' \(SwiftShader, CPU emulation, slower than wasm\); TFJS_LAB_BACKEND=webgpu uses it$/,
  );
  assert.equal(report.name, "wasm");
  assert.ok(report.describe().includes(`webgpu: ${webgpu.detail}`), report.describe());

  process.env[BACKEND_ENV_VAR] = "webgpu";
  try {
    const asked = await initBackend();
    assert.equal(asked.name, "webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    assert.equal(asked.describe(), `backend: webgpu (asked for by ${BACKEND_ENV_VAR})`);
    assert.match(asked.probes[0].detail, /adapter 'SwiftShader[^']*', software: SwiftShader, CPU emulation$/);
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    assert.deepEqual(Array.from(await sum.data()), [4, 6]);
    sum.dispose();
  } finally {
    delete process.env[BACKEND_ENV_VAR];
  }
});

test("%backend webgpu, then %gpu shows the adapter and the device's buffers", async () => {
  const switched = await cells.run("%backend webgpu");
  assert.equal(switched.status, "ok", switched.evalue);
  const x = tf.mul(tf.ones([256, 256]), 2); // computed on the device: 256 KiB in a GPU buffer
  await x.data();
  const r = await cells.run("%gpu");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.text, /^Backend in use: webgpu\n/);
  assert.match(r.text, /WebGPU adapter: SwiftShader[^\n]* \(software: SwiftShader, CPU emulation\)\n/);
  const inUse =
    /WebGPU buffers: ([\d.]+) (KiB|MiB) in use in (\d+) buffers; [\d.]+ \w+ allocated \([\d.]+ \w+ in \d+ freed buffers kept for reuse\)/.exec(
      r.text,
    );
  assert.ok(inUse, r.text);
  assert.ok(Number(inUse[1]) * (inUse[2] === "MiB" ? 1024 : 1) >= 256, r.text);
  assert.match(r.text, /WebGPU limits: largest buffer [\d.]+ \w+, largest storage binding [\d.]+ \w+\n/);
  x.dispose();
});
