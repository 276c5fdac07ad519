// Every kernel tfjs-lab adds to or replaces in the wasm backend, in three kinds (one file
// each): the gradient kernels it lacks, so that convolutional nets train on wasm
// (register-gradients.ts); stock kernels replaced by faster ones (register-stock-replacements.ts);
// and kernels of our own for the toolkit's training ops (register-training-ops.ts). Last,
// the guards that answer empty shapes without running wasm code (../empty-shapes.ts).
import { registerWasmGradientKernels, WASM_GRADIENT_KERNEL_NAMES } from "./register-gradients";
import { replaceSlowStockKernels } from "./register-stock-replacements";
import { registerTrainingOpKernels } from "./register-training-ops";
import { guardEmptyShapes } from "../empty-shapes";

export { WASM_GRADIENT_KERNEL_NAMES };

/** Idempotent: registers all three kinds and the guards for `backendName` (the wasm backend's factory calls it). */
export function registerWasmKernels(backendName = "wasm"): void {
  registerWasmGradientKernels(backendName);
  replaceSlowStockKernels(backendName);
  registerTrainingOpKernels(backendName);
  guardEmptyShapes(backendName);
}
