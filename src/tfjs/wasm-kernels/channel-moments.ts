// Per-channel mean and biased variance over every axis but the last (ops/batchnorm-train.ts)
// on wasm, in two passes of our channelSums kernel instead of tf.moments' four kernels:
//   pass 1 (dy = x):              sum x                -> m
//   pass 2 (dy = x, means m, m):  sum (x - m)^2 + (sum (x - m))^2 / n correction in float64
// Centred before squaring, as tf.moments and PyTorch are: sum x^2 - n m^2 loses the
// variance of activations far from zero.
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

/** [mean, variance]; from stock kernels where our module is missing or the channels are not a multiple of 4. */
export function channelMoments(calls: KernelCalls, x: Info): Info[] {
  const channels = x.shape[x.shape.length - 1];
  if (!calls.simd || channels % 4 !== 0) return stockMoments(calls, x);
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const mean = calls.alloc([channels]),
    variance = calls.alloc([channels]);
  try {
    calls.heap(mean).fill(0);
    const [sum] = channelSumsOverRows(calls, x, x, mean, mean, rows, channels);
    const m = calls.heap(mean);
    for (let c = 0; c < channels; c++) m[c] = sum[c] / rows;
    const [, centredSquares] = channelSumsOverRows(calls, x, x, mean, mean, rows, channels);
    const [mRounded, v] = [calls.heap(mean), calls.heap(variance)];
    for (let c = 0; c < channels; c++) {
      const offset = sum[c] / rows - mRounded[c]; // m's float32 rounding
      v[c] = Math.max(0, centredSquares[c] / rows - offset * offset);
    }
    return [mean, variance];
  } catch (e) {
    calls.free(mean, variance);
    throw e;
  }
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
