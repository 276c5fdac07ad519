// Kernels of our own for the toolkit's training ops (src/toolkit/ops/): SiLU and its
// gradient, batch norm's training gradient and its per-channel moments, and batch norm with
// its activation (SiLU or ReLU) fused, both ways. The ops call them
// where the backend registers them (wasm) and are composed from stock ops elsewhere.
import type * as tf from "@tensorflow/tfjs";
import { registerOwnKernel } from "./kernel-registration";
import { silu, siluGrad } from "./silu";
import { batchNormTrainGrad } from "./batchnorm-train-grad";
import {
  BATCHNORM_ACTIVATION_KERNEL,
  BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL,
  BATCHNORM_TRAIN_GRAD_KERNEL,
  CHANNEL_MOMENTS_KERNEL,
  SILU_GRAD_KERNEL,
  SILU_KERNEL,
} from "../custom-kernel-names";
import { channelMoments } from "./channel-moments";
import {
  type BatchNormActivationInputs,
  batchNormActivation,
  batchNormActivationTrainGrad,
  type FusedActivation,
} from "./batchnorm-activation";

const varianceEpsilon = (attrs: unknown) => (attrs as { varianceEpsilon: number }).varianceEpsilon;
const activation = (attrs: unknown) => (attrs as { activation: FusedActivation }).activation;

/** Idempotent: (re)registers our training-op kernels for `backendName`. */
export function registerTrainingOpKernels(backendName: string): void {
  registerOwnKernel(SILU_KERNEL, backendName, (calls, { inputs }) => silu(calls, inputs.x as tf.TensorInfo));
  registerOwnKernel(SILU_GRAD_KERNEL, backendName, (calls, { inputs }) =>
    siluGrad(calls, inputs.dy as tf.TensorInfo, inputs.x as tf.TensorInfo),
  );
  registerOwnKernel(BATCHNORM_TRAIN_GRAD_KERNEL, backendName, (calls, { inputs, attrs }) => {
    const i = inputs as Record<"dy" | "x" | "gamma" | "mean" | "variance", tf.TensorInfo>;
    return batchNormTrainGrad(calls, i.dy, i.x, i.gamma, i.mean, i.variance, varianceEpsilon(attrs));
  });
  registerOwnKernel(BATCHNORM_ACTIVATION_KERNEL, backendName, (calls, { inputs, attrs }) =>
    batchNormActivation(calls, inputs as unknown as BatchNormActivationInputs, varianceEpsilon(attrs), activation(attrs)),
  );
  registerOwnKernel(BATCHNORM_ACTIVATION_TRAIN_GRAD_KERNEL, backendName, (calls, { inputs, attrs }) =>
    batchNormActivationTrainGrad(
      calls,
      inputs.dy as tf.TensorInfo,
      inputs as unknown as BatchNormActivationInputs,
      varianceEpsilon(attrs),
      activation(attrs),
    ),
  );
  registerOwnKernel(CHANNEL_MOMENTS_KERNEL, backendName, (calls, { inputs }) => channelMoments(calls, inputs.x as tf.TensorInfo));
}
