// Batch norm in training mode with its activation after it (ops/batchnorm-train.ts: SiLU in
// every YOLOv5 Conv, ReLU in every PaddleClas ConvBNLayer) on wasm, forward and backward,
// without the batch norm's output in memory:
//   forward:  y = act(z), z = x * factor + bias  (channelAffineSilu / channelAffineRelu: one pass, not two)
//   backward: g = dy * act'(z), z recomputed from x, and batch norm's channel sums of (g, x),
//             block by block while the block is in cache (the activation's gradient kernel
//             then channelSums); then batch norm's second pass, in place over g.
// Apart from the pass it saves each way, the step no longer holds z from the forward pass to
// the backward one: a full activation per layer at the step's peak (PyTorch holds it). Each
// value is the same bits as batch norm's kernels then the activation's (channel-affine.ts,
// silu.ts or Relu, batchnorm-train-grad.ts), which is what runs where the channels are not a
// multiple of 4.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { batchNormMap } from "./channel-affine";
import { blockSums, ROWS_PER_SUM } from "./channel-moments";
import { batchNormGradFromSums, batchNormTrainGrad, withZeros } from "./batchnorm-train-grad";
import { activationChannelSumsPart, channelAffineActivationPart, FUSED_ACTIVATIONS, type FusedActivation } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { silu, siluGrad } from "./silu";
import { ACTIVATION_CHANNEL_SUMS_THREAD_JOB, CHANNEL_AFFINE_ACTIVATION_THREAD_JOB } from "./thread-jobs";
import { REPEAT_FLOATS } from "../wasm-simd/elementwise-wat";

export type { FusedActivation };

export interface BatchNormActivationInputs {
  x: Info;
  gamma: Info;
  beta: Info;
  mean: Info;
  variance: Info;
}

/** The separate kernels for each activation: the path where the channels are not a multiple of 4. */
const SEPARATE: Record<
  FusedActivation,
  { apply(calls: KernelCalls, z: Info): Info; gradient(calls: KernelCalls, dy: Info, z: Info): Info }
> = {
  silu: { apply: silu, gradient: siluGrad },
  relu: {
    apply: (calls, z) => calls.run("Relu", { x: z }),
    // TensorFlow.js's gradient of Relu: dy times Step of its input.
    gradient: (calls, dy, z) => calls.scoped((tmp) => calls.run("Multiply", { a: dy, b: tmp(calls.run("Step", { x: z }, { alpha: 0 })) })),
  },
};

/** The activation's number in a thread job's payload, or an error naming the ones there are. */
function activationIndex(activation: string): number {
  const index = FUSED_ACTIVATIONS.indexOf(activation as FusedActivation);
  if (index < 0) throw new RangeError(`batch norm fuses ${FUSED_ACTIVATIONS.join(" or ")}, not "${activation}"`);
  return index;
}

/**
 * The batch norm's map as the fused kernels read it: factor, then bias, each its channels
 * followed by its first REPEAT_FLOATS values again (cyclically), so that a group of vectors
 * that runs past a row's end reads the next row's channels. `use(factorAt, biasAt)`.
 */
function withRepeatedMap<T>(
  calls: KernelCalls,
  inputs: BatchNormActivationInputs,
  eps: number,
  use: (factorAt: number, biasAt: number) => T,
): T {
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
function batchNormOf(calls: KernelCalls, { x, gamma, beta, mean, variance }: BatchNormActivationInputs, eps: number): Info {
  return calls.run("FusedBatchNorm", { x, mean, variance, offset: beta, scale: gamma }, { varianceEpsilon: eps });
}

/** y = activation(batch norm of x). */
export function batchNormActivation(calls: KernelCalls, inputs: BatchNormActivationInputs, eps: number, activation: FusedActivation): Info {
  const { x } = inputs;
  const index = activationIndex(activation);
  if (!fusable(calls, x)) return calls.scoped((tmp) => SEPARATE[activation].apply(calls, tmp(batchNormOf(calls, inputs, eps))));
  const simd = calls.simd!;
  const channels = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const out = calls.alloc(x.shape);
  try {
    withRepeatedMap(calls, inputs, eps, (factorAt, biasAt) => {
      const payload = [calls.heap(x).byteOffset, factorAt, biasAt, calls.heap(out).byteOffset, rows, channels, index];
      const parts = elementwiseParts(calls, rows * channels);
      runOnKernelThreads(calls, CHANNEL_AFFINE_ACTIVATION_THREAD_JOB, payload, parts, (p, part) =>
        channelAffineActivationPart(simd, p, part, parts),
      );
    });
    return out;
  } catch (e) {
    calls.free(out);
    throw e;
  }
}

/** [dx, dgamma, dbeta] of y = activation(batch norm of x) with the batch's statistics, given dy. */
export function batchNormActivationTrainGrad(
  calls: KernelCalls,
  dy: Info,
  inputs: BatchNormActivationInputs,
  eps: number,
  activation: FusedActivation,
): Info[] {
  const { x, gamma, mean, variance } = inputs;
  const index = activationIndex(activation);
  if (!fusable(calls, x)) {
    return calls.scoped((tmp) => {
      const g = tmp(SEPARATE[activation].gradient(calls, dy, tmp(batchNormOf(calls, inputs, eps))));
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
          const payload = [dyAt, xAt, factorAt, biasAt, meanAt, zerosAt, rows, channels, slotsAt, ROWS_PER_SUM, gAt, index];
          runOnKernelThreads(calls, ACTIVATION_CHANNEL_SUMS_THREAD_JOB, payload, parts, (p, part) =>
            activationChannelSumsPart(simd, p, part, parts),
          );
        }),
      ),
    );
  } catch (e) {
    calls.free(g);
    throw e;
  }
  return batchNormGradFromSums(calls, g, x, gamma, mean, variance, eps, sums, g);
}
