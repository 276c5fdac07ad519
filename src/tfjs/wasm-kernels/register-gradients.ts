// The gradient kernels the wasm backend lacks (and a faster Conv2DBackpropInput), so that
// convolutional nets train on wasm. Each gets the backend's kernels through KernelCalls.
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilter } from "./conv2d-backprop-filter";
import { conv2dBackpropInput } from "./conv2d-backprop-input";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-backprop";
import { type KernelBackendLike, KernelCalls } from "./kernel-calls";
import { unsortedSegmentSum } from "./unsorted-segment-sum";

type Composed = (calls: KernelCalls, a: tf.TensorInfo, b: tf.TensorInfo, attrs: never) => tf.TensorInfo;

const WASM_GRADIENT_KERNELS: [kernelName: string, inputNames: [string, string], impl: Composed][] = [
  ["Conv2DBackpropFilter", ["x", "dy"], conv2dBackpropFilter as Composed],
  ["Conv2DBackpropInput", ["dy", "filter"], conv2dBackpropInput as Composed],
  ["DepthwiseConv2dNativeBackpropFilter", ["x", "dy"], depthwiseBackpropFilter as Composed],
  ["DepthwiseConv2dNativeBackpropInput", ["dy", "filter"], depthwiseBackpropInput as Composed],
  ["UnsortedSegmentSum", ["x", "segmentIds"], unsortedSegmentSum as Composed],
];

export const WASM_GRADIENT_KERNEL_NAMES = WASM_GRADIENT_KERNELS.map(([name]) => name);

/** Idempotent: replaces whatever is registered under these names for `backendName`. */
export function registerWasmGradientKernels(backendName: string): void {
  for (const [kernelName, [first, second], impl] of WASM_GRADIENT_KERNELS) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        impl(
          new KernelCalls(backend as unknown as KernelBackendLike, backendName),
          inputs[first] as tf.TensorInfo,
          inputs[second] as tf.TensorInfo,
          attrs as never,
        ),
    });
  }
}
