// Ops whose gradient a backend may run as one kernel (wasm does); elsewhere the composed ops.
export { silu, SILU_GRAD_KERNEL, SILU_KERNEL } from "./silu";
export { batchNormTrain, BatchNormTrainResult, BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL } from "./batchnorm-train";
