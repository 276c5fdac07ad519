// Stock wasm kernels replaced by faster ones where they were slow in a training step; each
// hands the cases it does not cover back to the stock kernel: Sum/Mean over leading axes,
// Identity/Cast sharing buffers, Slice/SplitV/Concat copying runs, Conv2D where our kernels
// have fused multiply-adds, FusedBatchNorm as a per-channel affine map, Mul/Add/Sub/Div by a
// per-channel vector or a scalar, Mul/Add/Sub of same-shape tensors on the kernel threads, MaxPoolGrad, and ResizeNearestNeighborGrad of power-of-two upsamplings.
import * as tf from "@tensorflow/tfjs";
import { batchNormAsDepthwise, type BatchNormInputs, channelBroadcastBinary } from "./channel-affine";
import { type KernelBackendLike, KernelCalls } from "./kernel-calls";
import { replaceKernel, registerWithFallback } from "./kernel-registration";
import { reduceLeadingAxes } from "./leading-axes-reduction";
import { maxPoolGradHeap } from "./max-pool-grad";
import { resizeNearestGradHeap } from "./resize-nearest-grad";
import { concatHeap, sliceHeap, splitVHeap } from "./slice";
import { sameShapeBinary } from "./same-shape-binary";
import { conv2dRows, conv2dRowsGeometry, rowConvForwardApplies } from "./conv2d-forward-rows";
import { winogradApplies, winogradConv2d } from "./winograd-conv";

function registerLeadingAxesReduction(kernelName: "Sum" | "Mean", backendName: string): void {
  replaceKernel(kernelName, backendName, (stock) => (args) => {
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const calls = new KernelCalls(args.backend as unknown as KernelBackendLike, backendName);
    return reduceLeadingAxes(
      calls,
      args.inputs.x as tf.TensorInfo,
      axis,
      keepDims,
      kernelName === "Mean",
      (x) => stock.kernelFunc({ ...args, inputs: { x } }) as tf.TensorInfo,
    );
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
    splitVHeap(calls, inputs.x as tf.TensorInfo, attrs.numOrSizeSplits as number | number[], attrs.axis as number | number[]),
  );
  registerWithFallback("Concat", backendName, (calls, { inputs, attrs }) =>
    concatHeap(calls, Object.values(inputs) as tf.TensorInfo[], attrs.axis as number | number[]),
  );
}

/** Idempotent: replaces the stock kernels (kept once) under these names for `backendName`. */
export function replaceSlowStockKernels(backendName: string): void {
  registerLeadingAxesReduction("Sum", backendName);
  registerLeadingAxesReduction("Mean", backendName);
  registerSharingCopies(backendName);
  registerSlices(backendName);
  registerWithFallback("Conv2D", backendName, (calls, { inputs, attrs }) => {
    const [x, filter] = [inputs.x as tf.TensorInfo, inputs.filter as tf.TensorInfo];
    const g = conv2dRowsGeometry(x, filter, attrs as unknown as tf.Conv2DAttrs);
    if (!g) return undefined;
    if (winogradApplies(calls, g, filter.shape[3])) return winogradConv2d(calls, x, filter, g);
    return rowConvForwardApplies(calls, g) ? conv2dRows(calls, x, filter, g) : undefined;
  });
  registerWithFallback("FusedBatchNorm", backendName, (calls, { inputs, attrs }) =>
    batchNormAsDepthwise(calls, inputs as unknown as BatchNormInputs, (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon),
  );
  for (const op of ["Multiply", "Add", "Sub", "RealDiv"] as const) {
    registerWithFallback(op, backendName, (calls, { inputs }) => {
      const [a, b] = [inputs.a as tf.TensorInfo, inputs.b as tf.TensorInfo];
      return channelBroadcastBinary(calls, op, a, b) ?? (op === "RealDiv" ? undefined : sameShapeBinary(calls, op, a, b));
    });
  }
  registerWithFallback("MaxPoolGrad", backendName, (calls, { inputs, attrs }) =>
    maxPoolGradHeap(calls, inputs.dy as tf.TensorInfo, inputs.input as tf.TensorInfo, attrs as unknown as tf.MaxPoolGradAttrs),
  );
  registerWithFallback("ResizeNearestNeighborGrad", backendName, (calls, { inputs, attrs }) =>
    resizeNearestGradHeap(
      calls,
      inputs.images as tf.TensorInfo,
      inputs.dy as tf.TensorInfo,
      attrs as unknown as tf.ResizeNearestNeighborGradAttrs,
    ),
  );
}
