// Runs the same computation on wasm and then on webgpu and compares the results. wasm runs
// first: tensors made on wasm move to webgpu when used there, never the other way (that
// would be a synchronous read from the GPU).
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { useWebgpu } from "./swiftshader";

export type Outputs = Record<string, tf.Tensor>;

async function readAll(make: () => Outputs): Promise<Record<string, Float32Array>> {
  const outputs = make();
  const values: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(outputs)) values[name] = Float32Array.from(await t.data());
  tf.dispose(Object.values(outputs));
  return values;
}

/** Each output on wasm and on webgpu: largest |difference| over the output's largest |value|. */
export async function compareBackends(
  make: () => Outputs,
): Promise<Record<string, { worst: number; scale: number; webgpu: Float32Array; wasm: Float32Array }>> {
  await switchBackend("wasm");
  const wasm = await readAll(make);
  await useWebgpu();
  const webgpu = await readAll(make);
  const result: Record<string, { worst: number; scale: number; webgpu: Float32Array; wasm: Float32Array }> = {};
  for (const name of Object.keys(wasm)) {
    const a = webgpu[name],
      e = wasm[name];
    assert.equal(a.length, e.length, `${name}: length`);
    let scale = 0,
      worst = 0;
    for (let i = 0; i < e.length; i++) {
      scale = Math.max(scale, Math.abs(e[i]));
      worst = Math.max(worst, Math.abs(a[i] - e[i]));
    }
    result[name] = { worst, scale, webgpu: a, wasm: e };
  }
  return result;
}

/** Every output within `tol` of its own largest magnitude; returns one line of the figures. */
export function assertAgree(results: Awaited<ReturnType<typeof compareBackends>>, tol: number): string {
  const lines: string[] = [];
  for (const [name, r] of Object.entries(results)) {
    assert.ok(r.webgpu.every(Number.isFinite), `${name}: webgpu gave non-finite values`);
    assert.ok(
      r.worst <= tol * Math.max(r.scale, 1e-12),
      `${name}: max |webgpu - wasm| = ${r.worst} (largest |wasm| ${r.scale}, tolerance ${tol} of it)`,
    );
    lines.push(`${name} ${(r.worst / Math.max(r.scale, 1e-12)).toExponential(1)}`);
  }
  return lines.join(", ");
}
