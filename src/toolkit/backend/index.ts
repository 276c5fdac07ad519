// Backend selection (tensorflow > webgpu > wasm > cpu), the wasm gradient kernels that
// make wasm train convolutions, and memory figures of the active backend.
export { initBackend, switchBackend, currentBackend, BACKEND_ENV_VAR } from "./select";
export type { BackendReport, InitBackendOptions } from "./select";
export type { ProbeResult, BackendName } from "./probes";
export { BACKEND_ORDER } from "./probes";
export { describeReport } from "./describe";
export { memoryInfo } from "./memory";
export type { MemoryInfo } from "./memory";
export { registerWasmGradientKernels, WASM_GRADIENT_KERNEL_NAMES } from "./wasm-kernels/register";
export { registerBroadcastingBatchNormGradient } from "./batchnorm-gradient";
export { registerBroadcastingReductionGradients } from "./reduction-gradients";
export { WASM_THREADS_ENV_VAR } from "./wasm-threads";
