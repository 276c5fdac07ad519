// Per-channel affine maps on wasm as a 1x1 depthwise convolution with bias (XNNPACK, SIMD,
// threaded): y[..., c] = x[..., c] * factor[c] + bias[c]. wasm's FusedBatchNorm indexes every
// parameter per element (4 to 6 ns an element, 83 ms of a YOLOv5n step); the depthwise
// form ran at 0.5 to 1.8 ns an element on the same tensors.
import type { Info, KernelCalls } from "./kernel-calls";

export interface BatchNormInputs { x: Info; mean: Info; variance: Info; offset?: Info; scale?: Info }

/** One value per channel (the last axis of x), or a single value. */
function perChannel(p: Info | undefined, channels: number): boolean {
  if (p === undefined) return true;
  const size = p.shape.reduce((a, b) => a * b, 1);
  return p.dtype === "float32" && (size === 1 || (size === channels && p.shape[p.shape.length - 1] === channels));
}

/** x * factor + bias per channel through FusedDepthwiseConv2D; x keeps its shape. */
function channelAffine(calls: KernelCalls, x: Info, factor: Float32Array, bias: Float32Array): Info {
  const channels = factor.length;
  const total = x.shape.reduce((a, b) => a * b, 1);
  return calls.scoped((tmp) => {
    const filter = tmp(calls.alloc([1, 1, channels, 1]));
    const b = tmp(calls.alloc([channels]));
    calls.heap(filter).set(factor);
    calls.heap(b).set(bias);
    const x4 = tmp(calls.reshape(x, [1, 1, total / channels, channels]));
    const y = tmp(calls.run("FusedDepthwiseConv2D", { x: x4, filter, bias: b }, {
      strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined, activation: "linear",
    }));
    return calls.reshape(y, x.shape);
  });
}

/**
 * FusedBatchNorm as x * (scale / sqrt(variance + eps)) + (offset - mean * that), or undefined
 * (the caller falls back) when x is not float32 or a parameter is not per channel.
 */
export function batchNormAsDepthwise(calls: KernelCalls, inputs: BatchNormInputs, varianceEpsilon: number): Info | undefined {
  const { x, mean, variance, offset, scale } = inputs;
  if (!calls.hasHeap || x.dtype !== "float32" || x.shape.length === 0) return undefined;
  const channels = x.shape[x.shape.length - 1];
  if (channels === 0 || x.shape.some((d) => d === 0) || ![mean, variance, offset, scale].every((p) => perChannel(p, channels))) return undefined;
  const read = (p: Info | undefined, fallback: number): Float64Array => {
    const out = new Float64Array(channels).fill(fallback);
    if (p === undefined) return out;
    const values = calls.heap(p);
    for (let c = 0; c < channels; c++) out[c] = values[values.length === 1 ? 0 : c];
    return out;
  };
  const m = read(mean, 0), v = read(variance, 1), o = read(offset, 0), s = read(scale, 1);
  const factor = new Float32Array(channels), bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const f = s[c] / Math.sqrt(v[c] + varianceEpsilon);
    factor[c] = f;
    bias[c] = o[c] - m[c] * f;
  }
  return channelAffine(calls, x, factor, bias);
}
