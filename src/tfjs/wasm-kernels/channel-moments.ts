// Per-channel mean and biased variance over every axis but the last (ops/batchnorm-train.ts)
// on wasm, in one pass of our channelSums kernel instead of tf.moments' four kernels:
//   (dy = x, means K, K):  sum (x - K) -> mean,  sum (x - K)^2 -> variance with a (mean - K)^2 correction in float64
// with K close to the mean (channelMoments). Shifted before squaring, as centring does in
// tf.moments and PyTorch: sum x^2 - n m^2 loses the variance of activations far from zero.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { channelSumsPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { CHANNEL_SUMS_THREAD_JOB } from "./thread-jobs";

/** Rows per call: channelSums' float32 sums stay short before they join the float64 ones. */
export const ROWS_PER_SUM = 256;

/**
 * [sum dy, sum (dy - dyMean) (x - mean)] over all rows, per channel, in float64: channelSums
 * on blocks of ROWS_PER_SUM rows (blockSums).
 */
export function channelSumsOverRows(
  calls: KernelCalls,
  dy: Info,
  x: Info,
  mean: Info,
  dyMean: Info,
  rows: number,
  channels: number,
): [Float64Array, Float64Array] {
  const simd = calls.simd!;
  return blockSums(calls, rows, channels, (slotsAt, parts) => {
    const [dyAt, xAt, meanAt, dyMeanAt] = [dy, x, mean, dyMean].map((t) => calls.heap(t).byteOffset);
    const payload = [dyAt, xAt, meanAt, dyMeanAt, rows, channels, slotsAt, ROWS_PER_SUM];
    runOnKernelThreads(calls, CHANNEL_SUMS_THREAD_JOB, payload, parts, (p, part) => channelSumsPart(simd, p, part, parts));
  });
}

/**
 * Two per-channel sums over blocks of ROWS_PER_SUM rows, in float64: `runJob(slotsAt, parts)`
 * runs a thread job in `parts` parts that writes each block's two float32 sums into its slot
 * of 2 * channels floats at byte slotsAt; the slots are then added here in block order, so
 * the sums are the same bits on any number of threads.
 */
export function blockSums(
  calls: KernelCalls,
  rows: number,
  channels: number,
  runJob: (slotsAt: number, parts: number) => void,
): [Float64Array, Float64Array] {
  const blocks = Math.ceil(rows / ROWS_PER_SUM);
  const partials = calls.alloc([blocks, 2 * channels]);
  try {
    runJob(calls.heap(partials).byteOffset, Math.min(blocks, elementwiseParts(calls, rows * channels)));
    const slots = calls.heap(partials);
    const first = new Float64Array(channels),
      second = new Float64Array(channels);
    for (let b = 0; b < blocks; b++) {
      const at = 2 * channels * b;
      for (let c = 0; c < channels; c++) {
        first[c] += slots[at + c];
        second[c] += slots[at + channels + c];
      }
    }
    return [first, second];
  } finally {
    calls.free(partials);
  }
}

/** Rows the shift is taken from, spread over the whole tensor. */
const SHIFT_SAMPLE_ROWS = 256;

/**
 * [mean, variance]; from stock kernels where our module is missing or the channels are not a
 * multiple of 4. One pass of channelSums with a shift K near the mean (the mean of rows
 * sampled across x): sum (x - K) and sum (x - K)^2, then mean = K + sum (x - K) / n and
 * variance = sum (x - K)^2 / n - (mean - K)^2. Summing x itself, the float32 block sums lost
 * the mean's low bits on activations far from zero (a mean of 100 off by 4e-5, 12 times
 * float32's rounding).
 * The correction is (mean - K)^2, about variance / 256 here, so nothing cancels: the same
 * precision as centring on the mean itself, in one pass over x instead of two.
 */
export function channelMoments(calls: KernelCalls, x: Info): Info[] {
  const channels = x.shape[x.shape.length - 1];
  if (!calls.simd || channels % 4 !== 0) return stockMoments(calls, x);
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const mean = calls.alloc([channels]),
    variance = calls.alloc([channels]);
  try {
    const shift = calls.heap(mean); // holds K until the mean replaces it
    sampledMean(calls.heap(x), rows, channels, shift);
    const [shiftedSum, shiftedSquares] = channelSumsOverRows(calls, x, x, mean, mean, rows, channels);
    const [m, v] = [calls.heap(mean), calls.heap(variance)];
    for (let c = 0; c < channels; c++) {
      const offset = shiftedSum[c] / rows; // mean - K
      v[c] = Math.max(0, shiftedSquares[c] / rows - offset * offset);
      m[c] += offset; // m[c] was K
    }
    return [mean, variance];
  } catch (e) {
    calls.free(mean, variance);
    throw e;
  }
}

/** out[c] = the mean of channel c over SHIFT_SAMPLE_ROWS rows spread evenly over x (all rows if fewer). */
function sampledMean(x: Float32Array, rows: number, channels: number, out: Float32Array): void {
  const samples = Math.min(rows, SHIFT_SAMPLE_ROWS);
  const acc = new Float64Array(channels);
  for (let i = 0; i < samples; i++) {
    const at = Math.floor((i * rows) / samples) * channels;
    for (let c = 0; c < channels; c++) acc[c] += x[at + c];
  }
  for (let c = 0; c < channels; c++) out[c] = acc[c] / samples;
}

function stockMoments(calls: KernelCalls, x: Info): Info[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return calls.scoped((tmp) => {
    const mean = calls.run("Mean", { x }, { axis: axes, keepDims: false });
    const centered = tmp(calls.run("Sub", { a: x, b: mean }));
    const variance = calls.run("Mean", { x: tmp(calls.run("Square", { x: centered })) }, { axis: axes, keepDims: false });
    return [mean, variance];
  });
}
