// The one WebAssembly module of our SIMD kernels, as text: it imports the wasm backend's
// memory so the kernels read and write tensors in place. `npm run build` assembles it
// (assemble.ts) into the two files below; load.ts instantiates the one matching the backend.
import { outerAccumulateFunctions } from "./outer-accumulate-wat";
import { rowScatterFunctions } from "./row-scatter-wat";
import { siluGradFunctions } from "./silu-grad-wat";
import { batchNormGradFunctions } from "./batchnorm-grad-wat";
import { copyRunsFunctions } from "./copy-runs-wat";

/** `shared`: the threaded build's memory is a SharedArrayBuffer, and an import must say so. */
export function simdKernelsWat(shared: boolean): string {
  return `(module
(import "env" "memory" (memory 1 65536${shared ? " shared" : ""}))
${outerAccumulateFunctions()}
${rowScatterFunctions()}
${siluGradFunctions()}
${batchNormGradFunctions()}
${copyRunsFunctions()}
)`;
}

/** File names of the assembled module, next to the compiled JavaScript. */
export const SIMD_KERNEL_FILES = { plain: "simd-kernels.wasm", shared: "simd-kernels-shared.wasm" } as const;
