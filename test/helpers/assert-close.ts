// Kernel results against the cpu backend's: the largest absolute difference must stay within
// 1e-4 of the larger of 1 and the reference's largest magnitude.
import assert from "node:assert/strict";

export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1; // a loop: spreading a large array into Math.max overflows the stack
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-4 * scale, `${what}: max |wasm - cpu| = ${worst} (scale ${scale})`);
}
