// Which build of our SIMD kernels a process gets, and what the backend report says about it:
// the fused multiply-add build where V8 runs relaxed SIMD (Node 20 behind a flag we set), the
// plain SIMD128 build with TFJS_LAB_RELAXED_SIMD=0. Each case is a process of its own, since
// the choice is made once per process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

/** The wasm probe's line of the backend report, and a convolution with its gradients (all our convolution kernels) checked against cpu, in a fresh process. */
function reportIn(env: Record<string, string>): { wasm: string; worst: number } {
  const script = `
    const tf = require("@tensorflow/tfjs");
    const lab = require(${JSON.stringify(require.resolve("../../src/index"))});
    (async () => {
      const report = await lab.initBackend({ prefer: "wasm" });
      const conv = () => tf.tidy(() => {
        const x = tf.randomNormal([1, 40, 40, 16], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 16, 32], 0, 1, "float32", 2);
        const f = (a, b) => tf.conv2d(a, b, 1, "same");
        const [dx, dw] = tf.grads((a, b) => tf.sum(tf.square(f(a, b))))([x, w]);
        return tf.concat([f(x, w).flatten(), dx.flatten(), dw.flatten()]).dataSync();
      });
      const ours = conv();
      await tf.setBackend("cpu");
      const ref = conv();
      // As assertClose: the largest difference against the larger of 1 and the largest magnitude.
      let worst = 0, scale = 1;
      for (let i = 0; i < ref.length; i++) { worst = Math.max(worst, Math.abs(ours[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
      worst /= scale;
      console.log(JSON.stringify({ wasm: report.probes.find((p) => p.name === "wasm").detail, worst }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, ...env }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

test("by default the fused multiply-add build is used, and the report says so and why", () => {
  const { wasm, worst } = reportIn({ TFJS_LAB_RELAXED_SIMD: "" });
  assert.match(wasm, /^tfjs-lab kernels \(fused multiply-add: relaxed SIMD(, enabled with --experimental-wasm-relaxed-simd)?\)/);
  assert.ok(worst <= 1e-4, `max relative difference ${worst}`);
});

test("TFJS_LAB_RELAXED_SIMD=0 keeps the plain SIMD128 build, and the report says so", () => {
  const { wasm, worst } = reportIn({ TFJS_LAB_RELAXED_SIMD: "0" });
  assert.match(wasm, /^tfjs-lab kernels \(SIMD128: relaxed SIMD off \(TFJS_LAB_RELAXED_SIMD=0\)\)/);
  assert.ok(worst <= 1e-4, `max relative difference ${worst}`);
});
