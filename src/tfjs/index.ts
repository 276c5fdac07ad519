// The one owner of TensorFlow.js beyond its public API: backend selection (tensorflow >
// webgpu > wasm > cpu), the wasm and WebGPU kernels, memory figures of the active backend,
// the engine internals typed once (internals.ts), the one hook dispatcher on the engine
// (hooks.ts), scope recovery after an interrupt (scope-recovery.ts), and what a tensor
// takes (tensor-bytes.ts) and where it lives (backendOf). The kernel and magics import
// those files directly: they load no TensorFlow.js until it is used, this index does.
// Loading the toolkit puts tfjs-lab's wasm factory in place (wasm-backend.ts), so that
// `await tf.ready()` in plain Node gives the backend a cell gets.
import { installWasmBackend } from "./wasm-backend";
import { guardWasmOutOfMemory } from "./wasm-out-of-memory";
import { installTapeRelease } from "./tape-release";
installWasmBackend();
// A backward pass frees each node's saved tensors and dys once used, as PyTorch does.
installTapeRelease();
// A full wasm heap raises OutOfMemoryError instead of corrupting tensors.
guardWasmOutOfMemory();
export { initBackend, switchBackend, currentBackend, BACKEND_ENV_VAR } from "./select";
export type { BackendReport, InitBackendOptions } from "./select";
export type { ProbeResult, BackendName } from "./probes";
export { BACKEND_ORDER } from "./probes";
export { describeReport } from "./describe";
export { memoryInfo } from "./memory";
export type { MemoryInfo } from "./memory";
export { registerWasmKernels, WASM_GRADIENT_KERNEL_NAMES } from "./wasm-kernels/register";
export { registerBroadcastingBatchNormGradient } from "./batchnorm-gradient";
export { registerBroadcastingReductionGradients } from "./reduction-gradients";
export { WASM_THREADS_ENV_VAR } from "./wasm-threads";
export { TAPE_RELEASE_ENV_VAR } from "./tape-release";
export { installWasmBackend, wasmStart, type WasmStart } from "./wasm-backend";
export { WasmOutOfMemoryError, WASM_HEAP_LIMIT_BYTES } from "./wasm-out-of-memory";
export { subscribeTfHooks, type TfHookSubscriber, type TensorTracked, type KernelCall } from "./hooks";
export { tensorBytes } from "./tensor-bytes";
export { backendOf } from "./internals";
