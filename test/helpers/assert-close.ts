// Kernel results against the cpu backend's: the largest absolute difference must stay within
// 1e-4 of the larger of 1 and the reference's largest magnitude. And against another path of
// ours that must give the same bits (threads, fused kernels).
import assert from "node:assert/strict";

export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1; // a loop: spreading a large array into Math.max overflows the stack
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-4 * scale, `${what}: max |wasm - cpu| = ${worst} (scale ${scale})`);
}

/** Every value the same float32 (NaN equal to NaN, -0 not equal to 0). */
export function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const first = a.findIndex((v, i) => !Object.is(v, b[i]));
  assert.equal(first, -1, `${what}: first difference at ${first}: ${a[first]} vs ${b[first]}`);
}
