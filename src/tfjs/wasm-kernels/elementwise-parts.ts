// Our element-wise SIMD kernels (SiLU and its gradient, batch norm's gradient passes, per-channel affine maps) split across
// the kernel threads: each part is a contiguous range of values (or rows), so parts never
// write the same value and the results are the one-thread results, bit for bit. The payloads
// are byte addresses, so that a part runs the same on any thread (thread-jobs.ts).
// Imports types only: kernel-thread-worker.ts runs these without TensorFlow.js.
import type { SimdKernels } from "../wasm-simd/load";
import { partRange } from "./part-range";

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

/** Payload [x, factor, bias, out, rows, channels]: out = x * factor + bias per channel, on rows [r0, r1). */
export function channelScaleShiftPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels] = [p[4], p[5]];
  const [r0, r1] = partRange(rows, part, parts, 1);
  if (r1 <= r0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * r0 * channels;
  kernels.channelScaleShift(at(0), p[1] >>> 0, p[2] >>> 0, at(3), r1 - r0, channels);
}

/**
 * Payload [dy, x, mean, dyMean, rows, channels, slots, rowsPerBlock]: channelSums of each
 * block of rowsPerBlock rows in blocks [b0, b1) into its slot of 2 * channels floats.
 */
export function channelSumsPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels, rowsPerBlock] = [p[4], p[5], p[7]];
  const [b0, b1] = partRange(Math.ceil(rows / rowsPerBlock), part, parts, 1);
  const rowBytes = 4 * channels;
  for (let b = b0; b < b1; b++) {
    const r0 = b * rowsPerBlock;
    kernels.channelSums(
      (p[0] >>> 0) + r0 * rowBytes,
      (p[1] >>> 0) + r0 * rowBytes,
      p[2] >>> 0,
      p[3] >>> 0,
      Math.min(rowsPerBlock, rows - r0),
      channels,
      (p[6] >>> 0) + 2 * rowBytes * b,
    );
  }
}
