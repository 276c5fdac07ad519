// KernelCalls on the current wasm backend as if our SIMD module were missing, to test the
// fallbacks every SIMD kernel keeps.
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";

class WithoutSimd extends KernelCalls {
  override get simd() {
    return undefined;
  }
}

export function kernelCallsWithoutSimd(): KernelCalls {
  return new WithoutSimd(tf.backend() as unknown as KernelBackendLike, "wasm");
}
