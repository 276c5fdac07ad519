// Batch norm in training mode with SiLU after it (ops/batchnorm-train.ts, every YOLOv5 Conv)
// on wasm, forward and backward, without the batch norm's output in memory:
//   forward:  y = silu(z), z = x * factor + bias  (channelAffineSilu: one pass, not two)
//   backward: g = dy * silu'(z), z recomputed from x, and batch norm's channel sums of (g, x),
//             block by block while the block is in cache (channelAffineSiluGrad then
//             channelSums); then batch norm's second pass, in place over g.
// Apart from the pass it saves each way, the step no longer holds z from the forward pass to
// the backward one: a full activation per Conv at the step's peak (PyTorch holds it). Each
// value is the same bits as batch norm's kernels then SiLU's (channel-affine.ts, silu.ts,
// batchnorm-train-grad.ts), which is what runs where the channels are not a multiple of 4.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { batchNormMap } from "./channel-affine";
import { blockSums, ROWS_PER_SUM } from "./channel-moments";
import { batchNormGradFromSums, batchNormTrainGrad, withZeros } from "./batchnorm-train-grad";
import { channelAffineSiluPart, siluChannelSumsPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { silu, siluGrad } from "./silu";
import { CHANNEL_AFFINE_SILU_THREAD_JOB, SILU_CHANNEL_SUMS_THREAD_JOB } from "./thread-jobs";

export interface BatchNormSiluInputs {
  x: Info;
  gamma: Info;
  beta: Info;
  mean: Info;
  variance: Info;
}

/** Floats past a row's channels that the fused kernels read: GROUPS vectors (silu-wat.ts). */
const REPEAT_FLOATS = 32;

/**
 * The batch norm's map as the fused kernels read it: factor, then bias, each its channels
 * followed by its first REPEAT_FLOATS values again (cyclically), so that a group of vectors
 * that runs past a row's end reads the next row's channels. `use(factorAt, biasAt)`.
 */
function withRepeatedMap<T>(calls: KernelCalls, inputs: BatchNormSiluInputs, eps: number, use: (factorAt: number, biasAt: number) => T): T {
  const { gamma, beta, mean, variance } = inputs;
  const { factor, bias } = batchNormMap(calls.heap(mean), calls.heap(variance), calls.heap(beta), calls.heap(gamma), eps);
  const channels = factor.length;
  const width = channels + REPEAT_FLOATS;
  const map = calls.alloc([2 * width]);
  try {
    const m = calls.heap(map);
    for (let i = 0; i < width; i++) {
      m[i] = factor[i % channels];
      m[width + i] = bias[i % channels];
    }
    return use(m.byteOffset, m.byteOffset + 4 * width);
  } finally {
    calls.free(map);
  }
}

/** Whether our fused kernels run on x; else the separate kernels do the same arithmetic. */
function fusable(calls: KernelCalls, x: Info): boolean {
  return calls.simd !== undefined && x.shape[x.shape.length - 1] % 4 === 0;
}

/** z = batch norm of x (FusedBatchNorm, channel-affine.ts on wasm), for the separate path. */
function batchNormOf(calls: KernelCalls, { x, gamma, beta, mean, variance }: BatchNormSiluInputs, eps: number): Info {
  return calls.run("FusedBatchNorm", { x, mean, variance, offset: beta, scale: gamma }, { varianceEpsilon: eps });
}

/** y = silu(batch norm of x). */
export function batchNormSilu(calls: KernelCalls, inputs: BatchNormSiluInputs, eps: number): Info {
  const { x } = inputs;
  if (!fusable(calls, x)) return calls.scoped((tmp) => silu(calls, tmp(batchNormOf(calls, inputs, eps))));
  const simd = calls.simd!;
  const channels = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const out = calls.alloc(x.shape);
  try {
    withRepeatedMap(calls, inputs, eps, (factorAt, biasAt) => {
      const payload = [calls.heap(x).byteOffset, factorAt, biasAt, calls.heap(out).byteOffset, rows, channels];
      const parts = elementwiseParts(calls, rows * channels);
      runOnKernelThreads(calls, CHANNEL_AFFINE_SILU_THREAD_JOB, payload, parts, (p, part) => channelAffineSiluPart(simd, p, part, parts));
    });
    return out;
  } catch (e) {
    calls.free(out);
    throw e;
  }
}

/** [dx, dgamma, dbeta] of y = silu(batch norm of x) with the batch's statistics, given dy. */
export function batchNormSiluTrainGrad(calls: KernelCalls, dy: Info, inputs: BatchNormSiluInputs, eps: number): Info[] {
  const { x, gamma, mean, variance } = inputs;
  if (!fusable(calls, x)) {
    return calls.scoped((tmp) => {
      const g = tmp(siluGrad(calls, dy, tmp(batchNormOf(calls, inputs, eps))));
      return batchNormTrainGrad(calls, g, x, gamma, mean, variance, eps);
    });
  }
  const simd = calls.simd!;
  const channels = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  // g, then dx in its place.
  const g = calls.alloc(x.shape);
  let sums: [Float64Array, Float64Array];
  try {
    sums = withZeros(calls, channels, (zeros) =>
      withRepeatedMap(calls, inputs, eps, (factorAt, biasAt) =>
        blockSums(calls, rows, channels, (slotsAt, parts) => {
          const [dyAt, xAt, meanAt, zerosAt, gAt] = [dy, x, mean, zeros, g].map((t) => calls.heap(t).byteOffset);
          const payload = [dyAt, xAt, factorAt, biasAt, meanAt, zerosAt, rows, channels, slotsAt, ROWS_PER_SUM, gAt];
          runOnKernelThreads(calls, SILU_CHANNEL_SUMS_THREAD_JOB, payload, parts, (p, part) => siluChannelSumsPart(simd, p, part, parts));
        }),
      ),
    );
  } catch (e) {
    calls.free(g);
    throw e;
  }
  return batchNormGradFromSums(calls, g, x, gamma, mean, variance, eps, sums, g);
}
