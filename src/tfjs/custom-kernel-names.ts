// The names of tfjs-lab's own kernels (not TensorFlow.js's). A backend registers them
// (wasm does: wasm-kernels/register-training-ops.ts) and toolkit/ops calls them where registered, so the
// names live here, in the layer both depend on, not in the toolkit.

/** SiLU: input x; output x * sigmoid(x). */
export const SILU_KERNEL = "TfjsLabSiLU";

/** SiLU's gradient: inputs dy, x; output dy * s * (1 + x * (1 - s)), s = sigmoid(x). */
export const SILU_GRAD_KERNEL = "TfjsLabSiLUGrad";

/** Batch norm's training gradient: inputs dy, x, gamma, mean, variance; attrs varianceEpsilon; outputs dx, dgamma, dbeta. */
export const BATCHNORM_TRAIN_GRAD_KERNEL = "TfjsLabBatchNormTrainGrad";

/** Per-channel moments: input x; outputs its mean and biased variance over every axis but the last. */
export const CHANNEL_MOMENTS_KERNEL = "TfjsLabChannelMoments";

/**
 * Batch norm with the batch's statistics, then an activation: inputs x, gamma, beta, mean,
 * variance; attrs varianceEpsilon, activation ("silu" or "relu"); output activation(batch norm of x).
 */
export const BATCHNORM_ACTIVATION_KERNEL = "TfjsLabBatchNormActivation";

/** Its training gradient: inputs dy, x, gamma, beta, mean, variance; attrs as the forward's; outputs dx, dgamma, dbeta. */
export const BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL = "TfjsLabBatchNormActivationTrainGrad";
