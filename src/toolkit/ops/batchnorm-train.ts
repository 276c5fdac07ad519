// Batch norm in training mode over the last axis of NHWC (statistics over N, H, W), with
// its gradient as one kernel where a backend registers one (wasm does:
// tfjs/wasm-kernels/batchnorm-train-grad.ts). Differentiated op by op, the gradient runs
// back through FusedBatchNorm and tf.moments: about twenty kernels, most of them full passes
// over x. The fused gradient is two passes:
//   dbeta = sum dy,  dgamma = invStd * sum dy (x - mean),
//   dx = a dy + b x + k  with  a = gamma invStd,  b = -a invStd dgamma / n,  k = -a dbeta / n - b mean.
// With SiLU or ReLU after it (every YOLOv5 Conv, every PaddleClas ConvBNLayer), a backend may
// fuse both (wasm does: tfjs/wasm-kernels/batchnorm-activation.ts): one pass forward, the
// activation's gradient inside the first backward pass, and the batch norm's output is not
// saved for the backward pass.
import * as tf from "@tensorflow/tfjs";
import {
  BATCHNORM_ACTIVATION_KERNEL,
  BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL,
  BATCHNORM_TRAIN_GRAD_KERNEL,
  CHANNEL_MOMENTS_KERNEL,
} from "../../tfjs/custom-kernel-names";
import { silu } from "./silu";

export { BATCHNORM_ACTIVATION_KERNEL, BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL, BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL };

/** What runs after the batch norm, inside the same op. */
export type BatchNormActivation = "silu" | "relu";

/** Each activation as its own op: where the backend fuses none, and in eval mode. */
const ACTIVATION_OPS: Record<BatchNormActivation, <T extends tf.Tensor>(y: T) => T> = { silu, relu: tf.relu };

function checkActivation(activation: string | undefined): void {
  if (activation !== undefined && !Object.hasOwn(ACTIVATION_OPS, activation)) {
    throw new RangeError(
      `batch norm's activation is ${Object.keys(ACTIVATION_OPS)
        .map((a) => `"${a}"`)
        .join(" or ")}, not "${activation}"`,
    );
  }
}

/** `activation` of y as its own op (y itself when there is none). */
export function applyActivation<T extends tf.Tensor>(y: T, activation: BatchNormActivation | undefined): T {
  checkActivation(activation);
  return activation === undefined ? y : ACTIVATION_OPS[activation](y);
}

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * y = (x - mean) / sqrt(variance + eps) * gamma + beta with the batch's mean and biased
 * variance per channel, which are returned too (for running statistics; no gradient flows
 * through them); then `activation` of that, if given.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  activation?: BatchNormActivation,
): BatchNormTrainResult {
  checkActivation(activation);
  const backend = tf.getBackend();
  const has = (kernel: string) => tf.getKernel(kernel, backend) !== undefined;
  if (x.dtype !== "float32" || !has(BATCHNORM_TRAIN_GRAD_KERNEL)) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, eps);
    return { y: applyActivation(y, activation), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  // The statistics are taken outside the custom gradient, so that the caller owns them (the
  // engine disposes what a custom op's forward creates and does not return). They reach it
  // through the closure, not as inputs: no gradient flows back through tf.moments.
  const [mean, variance] = has(CHANNEL_MOMENTS_KERNEL)
    ? (tf.engine().runKernel(CHANNEL_MOMENTS_KERNEL, { x }) as unknown as tf.Tensor1D[])
    : (({ mean: m, variance: v }) => [m, v] as tf.Tensor1D[])(tf.moments(x, [0, 1, 2]));
  const attrs = { varianceEpsilon: eps } as unknown as tf.NamedAttrMap;
  if (activation && has(BATCHNORM_ACTIVATION_KERNEL) && has(BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL)) {
    const fusedAttrs = { varianceEpsilon: eps, activation } as unknown as tf.NamedAttrMap;
    const fusedActivation = tf.customGrad(((input: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      save([input, g, b, mean, variance]);
      const stats = { mean, variance };
      return {
        value: tf.engine().runKernel(BATCHNORM_ACTIVATION_KERNEL, { x: input, gamma: g, beta: b, ...stats }, fusedAttrs) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, [savedX, savedGamma, savedBeta, savedMean, savedVariance]: tf.Tensor[]) =>
          tf
            .engine()
            .runKernel(
              BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL,
              { dy, x: savedX, gamma: savedGamma, beta: savedBeta, mean: savedMean, variance: savedVariance },
              fusedAttrs,
            ) as unknown as tf.Tensor[],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return { y: fusedActivation(x, gamma, beta) as tf.Tensor4D, mean, variance };
  }
  const fused = tf.customGrad(((input: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([input, g, mean, variance]);
    return {
      value: tf.batchNorm4d(input, mean, variance, b, g, eps),
      gradFunc: (dy: tf.Tensor, [savedX, savedGamma, savedMean, savedVariance]: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(
            BATCHNORM_TRAIN_GRAD_KERNEL,
            { dy, x: savedX, gamma: savedGamma, mean: savedMean, variance: savedVariance },
            attrs,
          ) as unknown as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = fused(x, gamma, beta) as tf.Tensor4D;
  return { y: applyActivation(y, activation), mean, variance };
}
