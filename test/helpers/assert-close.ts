// Kernel results against the cpu backend's: the largest absolute difference must stay within
// 1e-4 of the larger of 1 and the reference's largest magnitude.
import assert from "node:assert/strict";

export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-4 * scale, `${what}: max |wasm - cpu| = ${worst} (scale ${scale})`);
}
