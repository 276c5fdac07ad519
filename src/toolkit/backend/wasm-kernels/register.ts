// Registers the gradient kernels the wasm backend lacks (and a faster Conv2DBackpropInput)
// so that convolutional nets train on wasm.
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilter } from "./conv2d-backprop-filter";
import { conv2dBackpropInput } from "./conv2d-backprop-input";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-backprop";
import { KernelBackendLike, KernelCalls } from "./kernel-calls";
import { reduceLeadingAxes } from "./leading-axes-reduction";
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

/** Stock kernels kept for the cases our replacements hand back, per backend and name. */
const stockKernels = new Map<string, tf.KernelConfig>();

function registerLeadingAxesReduction(kernelName: "Sum" | "Mean", backendName: string): void {
  const key = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (!stockKernels.has(key)) {
    if (!current) return;
    stockKernels.set(key, current);
  }
  const stock = stockKernels.get(key)!;
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const calls = new KernelCalls(args.backend as unknown as KernelBackendLike, backendName);
      return reduceLeadingAxes(calls, args.inputs.x as tf.TensorInfo, axis, keepDims, kernelName === "Mean",
        (x) => stock.kernelFunc({ ...args, inputs: { x } }) as tf.TensorInfo);
    },
  });
}

/**
 * Idempotent: replaces whatever is registered under these names for `backendName`, and
 * routes Sum/Mean over leading axes through a matrix product.
 */
export function registerWasmGradientKernels(backendName = "wasm"): void {
  for (const [kernelName, [first, second], impl] of WASM_GRADIENT_KERNELS) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        impl(new KernelCalls(backend as unknown as KernelBackendLike, backendName),
          inputs[first] as tf.TensorInfo, inputs[second] as tf.TensorInfo, attrs as never),
    });
  }
  registerLeadingAxesReduction("Sum", backendName);
  registerLeadingAxesReduction("Mean", backendName);
}
