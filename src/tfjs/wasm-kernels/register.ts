// Registers the gradient kernels the wasm backend lacks (and a faster Conv2DBackpropInput)
// so that convolutional nets train on wasm, and replaces stock kernels that were slow in a
// training step (each hands the cases it does not cover back to the stock kernel): Sum/Mean
// over leading axes, Identity/Cast, Slice/SplitV/Concat, FusedBatchNorm, Mul/Add/Sub/Div by a
// per-channel vector or a scalar, MaxPoolGrad, and Conv2D where our kernels have fused
// multiply-adds; and adds the fused SiLU and training batch-norm gradients (ops/).
import * as tf from "@tensorflow/tfjs";
import { batchNormAsDepthwise, BatchNormInputs, channelBroadcastBinary } from "./channel-affine";
import { conv2dBackpropFilter } from "./conv2d-backprop-filter";
import { conv2dBackpropInput } from "./conv2d-backprop-input";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise-backprop";
import { KernelBackendLike, KernelCalls } from "./kernel-calls";
import { reduceLeadingAxes } from "./leading-axes-reduction";
import { maxPoolGradHeap } from "./max-pool-grad";
import { siluGrad } from "./silu-grad";
import { batchNormTrainGrad } from "./batchnorm-train-grad";
import { BATCHNORM_TRAIN_GRAD_KERNEL, CHANNEL_MOMENTS_KERNEL, SILU_GRAD_KERNEL } from "../custom-kernel-names";
import { channelMoments } from "./channel-moments";
import { concatHeap, sliceHeap, splitVHeap } from "./slice";
import { conv2dRows, conv2dRowsGeometry, rowConvForwardApplies } from "./conv2d-forward-rows";
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

/**
 * Registers `kernelName` for `backendName` with the kernel function `make(stock)` builds; the
 * stock kernel it replaces is kept (once, so registering again does not wrap our own) for the
 * cases ours hands back.
 */
function replaceKernel(kernelName: string, backendName: string, make: (stock: tf.KernelConfig) => tf.KernelFunc): void {
  const key = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (!stockKernels.has(key)) {
    if (!current) return;
    stockKernels.set(key, current);
  }
  const stock = stockKernels.get(key)!;
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, setupFunc: stock.setupFunc, kernelFunc: make(stock) });
}

function registerLeadingAxesReduction(kernelName: "Sum" | "Mean", backendName: string): void {
  replaceKernel(kernelName, backendName, (stock) => (args) => {
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const calls = new KernelCalls(args.backend as unknown as KernelBackendLike, backendName);
    return reduceLeadingAxes(calls, args.inputs.x as tf.TensorInfo, axis, keepDims, kernelName === "Mean",
      (x) => stock.kernelFunc({ ...args, inputs: { x } }) as tf.TensorInfo);
  });
}

/** Replaces `kernelName` with `impl`, which hands back (undefined) to the stock kernel. */
function registerWithFallback(kernelName: string, backendName: string,
  impl: (calls: KernelCalls, args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => tf.TensorInfo | tf.TensorInfo[] | undefined): void {
  replaceKernel(kernelName, backendName, (stock) => (args) =>
    impl(new KernelCalls(args.backend as unknown as KernelBackendLike, backendName),
      { inputs: args.inputs, attrs: args.attrs ?? {}, backend: args.backend }) ?? stock.kernelFunc(args));
}

/** Registers a kernel of our own (ops/ names it; no stock kernel to fall back on). */
function registerOwnKernel(kernelName: string, backendName: string,
  impl: (calls: KernelCalls, args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName, backendName, kernelFunc: ({ inputs, backend, attrs }) =>
      impl(new KernelCalls(backend as unknown as KernelBackendLike, backendName), { inputs, attrs: attrs ?? {} }),
  });
}

/**
 * Identity, and Cast to the same dtype, share the input's buffer (as the cpu and webgl
 * backends do) instead of copying it. The engine clones every tensor a gradient saves and
 * the Mul gradient casts float32 to float32: in a YOLOv5n step on wasm those copies took
 * about 120 ms. Buffers are never written after creation (a variable's assign swaps in
 * another buffer), so sharing one is safe.
 */
function registerSharingCopies(backendName: string): void {
  for (const kernelName of ["Identity", "Cast"]) {
    registerWithFallback(kernelName, backendName, (calls, { inputs, attrs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const dtype = kernelName === "Cast" ? (attrs as unknown as tf.CastAttrs).dtype : x.dtype;
      if (dtype === "bool" && (x.dtype === "float32" || x.dtype === "int32") && calls.hasHeap) return castToBool(calls, x);
      const shared = backend as { incRef?(dataId: object): void };
      if (dtype !== x.dtype || x.dtype === "string" || typeof shared.incRef !== "function") return undefined;
      shared.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype };
    });
  }
}

/**
 * Cast to bool as x != 0 (NaN is true), as TensorFlow and the cpu backend do: wasm's stock
 * kernel keeps the low byte of the integer value (-2.2 -> 254, 256 -> 0, so false).
 */
function castToBool(calls: KernelCalls, x: tf.TensorInfo): tf.TensorInfo {
  const zero = calls.backendMakeOutput([], x.dtype);
  calls.heapOf(zero)[0] = 0;
  const out = calls.run("NotEqual", { a: x, b: zero });
  calls.free(zero);
  return out;
}

/** Slice, SplitV and Concat copying whole runs (slice.ts). */
function registerSlices(backendName: string): void {
  registerWithFallback("Slice", backendName, (calls, { inputs, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
    return sliceHeap(calls, x, begin, size);
  });
  registerWithFallback("SplitV", backendName, (calls, { inputs, attrs }) =>
    splitVHeap(calls, inputs.x as tf.TensorInfo, attrs.numOrSizeSplits as number | number[], attrs.axis as number | number[]));
  registerWithFallback("Concat", backendName, (calls, { inputs, attrs }) =>
    concatHeap(calls, Object.values(inputs) as tf.TensorInfo[], attrs.axis as number | number[]));
}

/** Idempotent: replaces whatever is registered under these names for `backendName`. */
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
  registerSharingCopies(backendName);
  registerSlices(backendName);
  registerWithFallback("Conv2D", backendName, (calls, { inputs, attrs }) => {
    const [x, filter] = [inputs.x as tf.TensorInfo, inputs.filter as tf.TensorInfo];
    const g = conv2dRowsGeometry(x, filter, attrs as unknown as tf.Conv2DAttrs);
    return g && rowConvForwardApplies(calls, g, filter.shape[3]) ? conv2dRows(calls, x, filter, g) : undefined;
  });
  registerWithFallback("FusedBatchNorm", backendName, (calls, { inputs, attrs }) =>
    batchNormAsDepthwise(calls, inputs as unknown as BatchNormInputs, (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon));
  for (const op of ["Multiply", "Add", "Sub", "RealDiv"] as const) {
    registerWithFallback(op, backendName, (calls, { inputs }) =>
      channelBroadcastBinary(calls, op, inputs.a as tf.TensorInfo, inputs.b as tf.TensorInfo));
  }
  registerOwnKernel(SILU_GRAD_KERNEL, backendName, (calls, { inputs }) =>
    siluGrad(calls, inputs.dy as tf.TensorInfo, inputs.x as tf.TensorInfo, inputs.s as tf.TensorInfo));
  registerOwnKernel(BATCHNORM_TRAIN_GRAD_KERNEL, backendName, (calls, { inputs, attrs }) => {
    const i = inputs as Record<"dy" | "x" | "gamma" | "mean" | "variance", tf.TensorInfo>;
    return batchNormTrainGrad(calls, i.dy, i.x, i.gamma, i.mean, i.variance, (attrs as { varianceEpsilon: number }).varianceEpsilon);
  });
  registerOwnKernel(CHANNEL_MOMENTS_KERNEL, backendName, (calls, { inputs }) => channelMoments(calls, inputs.x as tf.TensorInfo));
  registerWithFallback("MaxPoolGrad", backendName, (calls, { inputs, attrs }) =>
    maxPoolGradHeap(calls, inputs.dy as tf.TensorInfo, inputs.input as tf.TensorInfo, attrs as unknown as tf.MaxPoolGradAttrs));
}
