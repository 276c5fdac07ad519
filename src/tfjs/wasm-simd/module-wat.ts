// The one WebAssembly module of our SIMD kernels, as text: it imports the wasm backend's
// memory so the kernels read and write tensors in place. `npm run build` assembles it
// (assemble.ts) into the four files below; load.ts instantiates the one matching the backend
// and the engine.
import { outerAccumulateFunctions } from "./outer-accumulate-wat";
import { rowScatterFunctions } from "./row-scatter-wat";
import { siluFunctions } from "./silu-wat";
import { reluFunctions } from "./relu-wat";
import { batchNormGradFunctions } from "./batchnorm-grad-wat";
import { copyRunsFunctions } from "./copy-runs-wat";
import { channelScaleShiftFunctions } from "./channel-scale-shift-wat";
import { binaryFunctions } from "./binary-wat";
import { maxPoolGradFunctions } from "./max-pool-grad-wat";
import { winogradFunctions } from "./winograd-wat";
import { fusedMultiplyAdd, separateMultiplyAdd } from "./multiply-add";

/**
 * `shared`: the threaded build's memory is a SharedArrayBuffer, and an import must say so.
 * `fused`: the GEMM-like kernels use relaxed SIMD's fused multiply-add (multiply-add.ts).
 */
export interface SimdVariant {
  shared: boolean;
  fused: boolean;
}

export function simdKernelsWat({ shared, fused }: SimdVariant): string {
  const madd = fused ? fusedMultiplyAdd : separateMultiplyAdd;
  return `(module
(import "env" "memory" (memory 1 65536${shared ? " shared" : ""}))
${outerAccumulateFunctions(madd)}
${rowScatterFunctions(madd)}
${siluFunctions()}
${reluFunctions()}
${batchNormGradFunctions()}
${copyRunsFunctions()}
${channelScaleShiftFunctions()}
${binaryFunctions()}
${maxPoolGradFunctions()}
${winogradFunctions()}
)`;
}

/** File name of the assembled module, next to the compiled JavaScript. */
export function simdKernelFile({ shared, fused }: SimdVariant): string {
  return `simd-kernels${shared ? "-shared" : ""}${fused ? "-fma" : ""}.wasm`;
}

export const SIMD_VARIANTS: SimdVariant[] = [false, true].flatMap((shared) => [false, true].map((fused) => ({ shared, fused })));
