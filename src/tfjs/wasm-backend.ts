// The wasm backend as tfjs-lab starts it, under TensorFlow.js's own name 'wasm': the
// threaded SIMD build under Node (wasm-threads.ts), its buffers aligned to cache lines
// (wasm-allocator.ts) and our kernels registered. It replaces
// the stock factory when the toolkit loads, so a plain script that imports the toolkit and
// calls `await tf.ready()` gets the backend a notebook cell gets (wasm outranks cpu; a
// user's tfjs-node outranks both), and the kernel's selection starts the same factory.
import * as tf from "@tensorflow/tfjs";
import { wantedWasmThreads, withWasmThreads, unrefWasmWorkers, wasmThreadsStarted, xnnpackThreads } from "./wasm-threads";
import { registerWasmKernels } from "./wasm-kernels/register";
import { startKernelThreads } from "./wasm-kernels/kernel-threads";
import { sharedSimdKernelModules, wasmBackendMemory } from "./wasm-simd/load";
import { registerBroadcastingBatchNormGradient } from "./batchnorm-gradient";
import { registerBroadcastingReductionGradients } from "./reduction-gradients";
import { fillMissingBatchNormParams } from "./batchnorm-optional-params";
import { type BackendMakeOutput, type WasmAllocator, alignWasmAllocations, takeAddressesUnsigned } from "./wasm-allocator";

/** tfjs-backend-wasm's own priority: above cpu (1), below tensorflow and webgpu. */
const WASM_PRIORITY = 2;

/**
 * How the last start went: why threads were not used, why our kernels have no threads of
 * their own (they then run on the main thread), and a warning about TFJS_LAB_WASM_THREADS.
 */
export interface WasmStart {
  threadsSkipped?: string;
  kernelThreadsSkipped?: string;
  warning?: string;
}

let installed: boolean | undefined;
let lastStart: WasmStart = {};

/** The gradient registrations every backend needs (idempotent): what the toolkit's training relies on. */
export function registerToolkitGradients(): void {
  registerBroadcastingBatchNormGradient();
  registerBroadcastingReductionGradients();
  fillMissingBatchNormParams();
}

/**
 * Puts our factory in place of the stock 'wasm' one (once). False when tfjs-backend-wasm
 * cannot load, or when the stock backend was already started (then it is left alone).
 */
export function installWasmBackend(): boolean {
  if (installed !== undefined) return installed;
  try {
    require("@tensorflow/tfjs-backend-wasm");
  } catch {
    return (installed = false);
  }
  const stock = tf.findBackendFactory("wasm");
  // tf.findBackend would start the stock backend; the engine's registry only says whether it runs.
  const started = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
  if (!stock || started) return (installed = false);
  registerToolkitGradients();
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const { threads, warning } = wantedWasmThreads();
      const { result: backend, skipped } = await withWasmThreads(threads, async () => stock());
      unrefWasmWorkers(backend);
      // Every tensor on a cache line of its own, before the first is made, and the C++ side's
      // buffers taken at unsigned addresses (wasm-allocator.ts).
      alignWasmAllocations((backend as unknown as { wasm: WasmAllocator }).wasm);
      takeAddressesUnsigned(backend as unknown as BackendMakeOutput);
      // Our kernels run on the threads asked for (wasm-kernels/kernel-threads.ts); XNNPACK on one.
      const kernelThreadsSkipped =
        skipped === undefined
          ? await startKernelThreads(wasmBackendMemory(backend), wasmThreadsStarted(), sharedSimdKernelModules)
          : undefined;
      registerWasmKernels();
      lastStart = { threadsSkipped: skipped, kernelThreadsSkipped, warning };
      return backend;
    },
    WASM_PRIORITY,
  );
  return (installed = true);
}

/** Threads the wasm backend's kernels run on: ours where their threads started, else XNNPACK's. */
export function wasmThreadsInUse(): number {
  const threads = wasmThreadsStarted();
  return threads > 1 && lastStart.kernelThreadsSkipped === undefined ? threads : xnnpackThreads();
}

/** What the last start of our wasm factory reported. */
export function wasmStart(): WasmStart {
  return lastStart;
}
