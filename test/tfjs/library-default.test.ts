// `import * as lab from "tfjs-lab"` in plain Node, then `await tf.ready()`: the backend is
// the one a cell gets (wasm with our kernels, threads as TFJS_LAB_WASM_THREADS says), the
// README's training example runs on it as written, and the script exits by itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.join(__dirname, "../../..");

/** Runs a CommonJS script from the repo root (so "tfjs-lab" resolves to this package), returns its last stdout line as JSON. */
function runScript(source: string, env: Record<string, string> = {}): Record<string, unknown> {
  const out = execFileSync(process.execPath, ["-e", source], {
    cwd: ROOT,
    env: { ...process.env, TFJS_LAB_BACKEND: "", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const README_EXAMPLE = `
const lab = require("tfjs-lab");
const tf = require("@tensorflow/tfjs");
(async () => {
  await tf.ready();
  const model = lab.yolov5({ scale: "n", nc: 80 });
  model.train();
  const x = tf.randomUniform([2, 64, 64, 3]);
  const { value, grads } = tf.variableGrads(() => tf.addN(model.forward(x).map((m) => tf.mean(tf.square(m)))));
  console.log(JSON.stringify({
    backend: tf.getBackend(),
    ourKernel: tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined,
    threads: require("./dist/src/tfjs/wasm-kernels/kernel-threads.js").kernelThreadsFor(
      require("./dist/src/tfjs/wasm-simd/load.js").wasmBackendMemory(tf.backend()))?.threads ?? 1,
    xnnpackThreads: require("@tensorflow/tfjs-backend-wasm").getThreadsCount(),
    params: model.numParams(), grads: Object.keys(grads).length, loss: value.dataSync()[0],
  }));
})();`;

test("tf.ready() after importing the library gives wasm with tfjs-lab's kernels, and the README example trains on it", () => {
  const r = runScript(README_EXAMPLE, { TFJS_LAB_WASM_THREADS: "1" });
  assert.equal(r.backend, "wasm");
  assert.equal(r.ourKernel, true);
  assert.equal(r.threads, 1);
  assert.equal(r.xnnpackThreads, 1);
  assert.equal(r.params, 1_872_157);
  assert.ok((r.grads as number) > 100, "every parameter tensor gets a gradient");
  assert.ok(Number.isFinite(r.loss as number));
});

test("the library's wasm backend starts the threaded build when TFJS_LAB_WASM_THREADS asks for it, and still exits by itself", () => {
  const r = runScript(README_EXAMPLE, { TFJS_LAB_WASM_THREADS: "2" });
  assert.equal(r.backend, "wasm");
  assert.equal(r.threads, 2, "our kernels run on 2 threads");
  assert.equal(r.xnnpackThreads, 1, "XNNPACK runs on one: its spinning pool would take the second core");
});
