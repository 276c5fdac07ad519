// Our element-wise SIMD kernels (SiLU and its gradient, batch norm's passes, per-channel affine maps) split across
// the kernel threads: each part is a contiguous range of values (or rows), so parts never
// write the same value and the results are the one-thread results, bit for bit. The payloads
// are byte addresses, so that a part runs the same on any thread (thread-jobs.ts).
// Imports types only: kernel-thread-worker.ts runs these without TensorFlow.js.
import type { SimdKernels } from "../wasm-simd/load";
import { partRange } from "./part-range";
import { SAME_SHAPE_OPS } from "../wasm-simd/binary-wat";

/** Payload [x, out, count]: y = x * sigmoid(x) on floats [i0, i1). */
export function siluPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [i0, i1] = partRange(p[2], part, parts, 4);
  if (i1 <= i0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * i0;
  kernels.silu(at(0), at(1), i1 - i0);
}

/** Payload [op, a, b, out, count]: out = a op b (SAME_SHAPE_OPS[op]) on floats [i0, i1). */
export function sameShapeBinaryPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [i0, i1] = partRange(p[4], part, parts, 4);
  if (i1 <= i0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * i0;
  kernels[SAME_SHAPE_OPS[p[0]][0]](at(1), at(2), at(3), i1 - i0);
}

/**
 * Payload [x, dy, dx, images, h, w, c, oh, ow, fh, fw, sh, sw, pt, pl]: MaxPoolGrad of images
 * [n0, n1) into dx (zeroed), one maxPoolGradImage call an image.
 */
export function maxPoolGradPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [h, w, c, oh, ow] = [p[4], p[5], p[6], p[7], p[8]];
  const [n0, n1] = partRange(p[3], part, parts, 1);
  for (let n = n0; n < n1; n++) {
    const [x, dy, dx] = [(p[0] >>> 0) + 4 * n * h * w * c, (p[1] >>> 0) + 4 * n * oh * ow * c, (p[2] >>> 0) + 4 * n * h * w * c];
    kernels.maxPoolGradImage(x, dy, dx, h, w, c, oh, ow, p[9], p[10], p[11], p[12], p[13], p[14]);
  }
}

/** Payload [src, srcStride, dst, dstStride, runBytes, count] (bytes): copyRuns of runs [r0, r1). */
export function copyRunsPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [r0, r1] = partRange(p[5], part, parts, 1);
  if (r1 <= r0) return;
  kernels.copyRuns((p[0] >>> 0) + r0 * p[1], p[1], (p[2] >>> 0) + r0 * p[3], p[3], p[4], r1 - r0);
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

/** The activations batch norm fuses (batchnorm-activation.ts), by the number a payload carries. */
export const FUSED_ACTIVATIONS = ["silu", "relu"] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/** Each activation's pair of kernels after batch norm's map (silu-wat.ts, relu-wat.ts). */
const AFFINE_ACTIVATION_KERNELS: Record<
  FusedActivation,
  { forward: "channelAffineSilu" | "channelAffineRelu"; gradient: "channelAffineSiluGrad" | "channelAffineReluGrad" }
> = {
  silu: { forward: "channelAffineSilu", gradient: "channelAffineSiluGrad" },
  relu: { forward: "channelAffineRelu", gradient: "channelAffineReluGrad" },
};
const affineKernels = (activation: number) => AFFINE_ACTIVATION_KERNELS[FUSED_ACTIVATIONS[activation]];

/**
 * Payload [x, factor, bias, out, rows, channels, activation]: out = activation(x * factor + bias)
 * per channel on rows [r0, r1); factor and bias repeat the channels (elementwise-wat.ts).
 */
export function channelAffineActivationPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels] = [p[4], p[5]];
  const [r0, r1] = partRange(rows, part, parts, 1);
  if (r1 <= r0) return;
  const at = (i: number) => (p[i] >>> 0) + 4 * r0 * channels;
  kernels[affineKernels(p[6]).forward](at(0), p[1] >>> 0, p[2] >>> 0, at(3), (r1 - r0) * channels, 4 * channels);
}

/** Blocks [b0, b1) of rowsPerBlock rows of part `part`: each block's first row and row count. */
function forEachBlock(
  rows: number,
  rowsPerBlock: number,
  part: number,
  parts: number,
  run: (block: number, r0: number, count: number) => void,
): void {
  const [b0, b1] = partRange(Math.ceil(rows / rowsPerBlock), part, parts, 1);
  for (let b = b0; b < b1; b++) run(b, b * rowsPerBlock, Math.min(rowsPerBlock, rows - b * rowsPerBlock));
}

/**
 * Payload [dy, x, mean, dyMean, rows, channels, slots, rowsPerBlock]: channelSums of each
 * block of rowsPerBlock rows in blocks [b0, b1) into its slot of 2 * channels floats.
 */
export function channelSumsPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels, rowsPerBlock] = [p[4], p[5], p[7]];
  const rowBytes = 4 * channels;
  forEachBlock(rows, rowsPerBlock, part, parts, (b, r0, count) =>
    kernels.channelSums(
      (p[0] >>> 0) + r0 * rowBytes,
      (p[1] >>> 0) + r0 * rowBytes,
      p[2] >>> 0,
      p[3] >>> 0,
      count,
      channels,
      (p[6] >>> 0) + 2 * rowBytes * b,
    ),
  );
}

/**
 * Payload [dy, x, factor, bias, mean, zeros, rows, channels, slots, rowsPerBlock, g, activation]:
 * for each block, g = the activation's gradient at z = x * factor + bias (channelAffineSiluGrad
 * or channelAffineReluGrad), then, while the block is in cache, channelSums of (g, x) into its
 * slot, as channelSumsPart with dy = g.
 */
export function activationChannelSumsPart(kernels: SimdKernels, p: Int32Array, part: number, parts: number): void {
  const [rows, channels, rowsPerBlock] = [p[6], p[7], p[9]];
  const rowBytes = 4 * channels;
  const gradient = affineKernels(p[11]).gradient;
  forEachBlock(rows, rowsPerBlock, part, parts, (b, r0, count) => {
    const [dy, x, g] = [p[0], p[1], p[10]].map((a) => (a >>> 0) + r0 * rowBytes);
    kernels[gradient](dy, x, p[2] >>> 0, p[3] >>> 0, g, count * channels, rowBytes);
    kernels.channelSums(g, x, p[4] >>> 0, p[5] >>> 0, count, channels, (p[8] >>> 0) + 2 * rowBytes * b);
  });
}
