// Batch norm in training mode over the last axis of NHWC (statistics over N, H, W), with
// its gradient as one kernel where a backend registers one (wasm does:
// tfjs/wasm-kernels/batchnorm-train-grad.ts). Differentiated op by op, the gradient runs
// back through FusedBatchNorm and tf.moments: about twenty kernels, most of them full passes
// over x. The fused gradient is two passes:
//   dbeta = sum dy,  dgamma = invStd * sum dy (x - mean),
//   dx = a dy + b x + k  with  a = gamma invStd,  b = -a invStd dgamma / n,  k = -a dbeta / n - b mean.
import * as tf from "@tensorflow/tfjs";
import { BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL } from "../../tfjs/custom-kernel-names";

export { BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL };

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * y = (x - mean) / sqrt(variance + eps) * gamma + beta with the batch's mean and biased
 * variance per channel, which are returned too (for running statistics; no gradient flows
 * through them).
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult {
  if (x.dtype !== "float32" || !tf.getKernel(BATCHNORM_TRAIN_GRAD_KERNEL, tf.getBackend())) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return {
      y: tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, eps),
      mean: mean as tf.Tensor1D,
      variance: variance as tf.Tensor1D,
    };
  }
  // The statistics are taken outside the custom gradient, so that the caller owns them (the
  // engine disposes what a custom op's forward creates and does not return). They reach it
  // through the closure, not as inputs: no gradient flows back through tf.moments.
  const [mean, variance] = tf.getKernel(CHANNEL_MOMENTS_KERNEL, tf.getBackend())
    ? (tf.engine().runKernel(CHANNEL_MOMENTS_KERNEL, { x }) as unknown as tf.Tensor1D[])
    : (({ mean: m, variance: v }) => [m, v] as tf.Tensor1D[])(tf.moments(x, [0, 1, 2]));
  const fused = tf.customGrad(((input: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([input, g, mean, variance]);
    return {
      value: tf.batchNorm4d(input, mean, variance, b, g, eps),
      gradFunc: (dy: tf.Tensor, [savedX, savedGamma, savedMean, savedVariance]: tf.Tensor[]) =>
        tf.engine().runKernel(BATCHNORM_TRAIN_GRAD_KERNEL, { dy, x: savedX, gamma: savedGamma, mean: savedMean, variance: savedVariance }, {
          varianceEpsilon: eps,
        } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return { y: fused(x, gamma, beta) as tf.Tensor4D, mean, variance };
}
