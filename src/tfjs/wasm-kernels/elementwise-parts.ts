// Our element-wise SIMD kernels (SiLU and its gradient, batch norm's gradient pass) split across
// the kernel threads: each part is a contiguous range of values (or rows), so parts never
// write the same value and the results are the one-thread results, bit for bit. The payloads
// are byte addresses, so that a part runs the same on any thread (thread-jobs.ts).
// Imports types only: kernel-thread-worker.ts runs these without TensorFlow.js.
import type { SimdKernels } from "../wasm-simd/load";

/** Items [i0, i1) of part `part` of `parts`, starts on multiples of `unit`. */
export function partRange(count: number, part: number, parts: number, unit: number): [number, number] {
  const units = Math.floor(count / unit);
  const i0 = unit * Math.floor((units * part) / parts);
  const i1 = part === parts - 1 ? count : unit * Math.floor((units * (part + 1)) / parts);
  return [i0, i1];
}

/** Payload [x, out, count]: y = x * sigmoid(x) on floats [i0, i1). */
export function siluPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [i0, i1] = partRange(p[2], part, parts, 4);
  if (i1 <= i0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * i0;
  kernels.silu(at(0), at(1), i1 - i0);
}

/** Payload [dy, x, out, count]: dx = dy * s * (1 + x * (1 - s)), s = sigmoid(x), on floats [i0, i1). */
export function siluGradPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [i0, i1] = partRange(p[3], part, parts, 4);
  if (i1 <= i0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * i0;
  kernels.siluGrad(at(0), at(1), at(2), i1 - i0);
}

/** Payload [dy, x, a, b, k, out, rows, channels]: dx = a*dy + b*x + k per channel, on rows [r0, r1). */
export function channelAffinePart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels] = [p[6], p[7]];
  const [r0, r1] = partRange(rows, part, parts, 1);
  if (r1 <= r0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * r0 * channels;
  kernels.channelAffine(at(0), at(1), p[2] >>> 0, p[3] >>> 0, p[4] >>> 0, at(5), r1 - r0, channels);
}
