// Kernels with one storage buffer per input fail past the device's
// maxStorageBuffersPerShaderStage (8 by default, on real GPUs too): Dawn rejects the
// pipeline and the result is zeros. tfjs-backend-webgpu's Concat (and Pack and the
// gradients built on it) already splits its inputs; AddN does not, so it is replaced by
// one that sums chunks and then the chunks' sums.
import type * as tf from "@tensorflow/tfjs";
import { type KernelFunc, replaceWebgpuKernel } from "./kernel-replacements";

interface LimitedBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

/** Inputs one program may bind: the per-stage storage buffers less the output's. */
export function maxInputsPerProgram(backend: LimitedBackend): number {
  return Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
}

/** AddN as sums of at most `limit` tensors at a time, summed again until one is left. */
function chunkedAddN(stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as LimitedBackend;
    const limit = maxInputsPerProgram(backend);
    let level = args.inputs as tf.TensorInfo[];
    const partials: tf.TensorInfo[] = [];
    while (level.length > limit) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < level.length; i += limit) {
        const chunk = level.slice(i, i + limit);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const sum = stock({ ...args, inputs: chunk }) as tf.TensorInfo;
        partials.push(sum);
        next.push(sum);
      }
      level = next;
    }
    const result = stock({ ...args, inputs: level }) as tf.TensorInfo;
    for (const p of partials) backend.disposeData(p.dataId);
    return result;
  };
}

/** Puts the chunking kernels in place for 'webgpu' (once). */
export function registerManyInputKernels(): void {
  replaceWebgpuKernel("AddN", chunkedAddN);
}
