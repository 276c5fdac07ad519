// Per-channel affine maps on wasm, y[..., c] = x[..., c] * factor[c] + bias[c]: our SIMD
// pass (wasm-simd/channel-scale-shift-wat.ts) in parts of rows on the kernel threads where
// the channels come in vectors of 4 (or four pixels' channels do), else a 1x1 depthwise
// convolution with bias (XNNPACK).
// wasm's FusedBatchNorm indexes every parameter per element (4 to 6 ns an element, 83 ms of a
// YOLOv5n step); the depthwise form ran at 0.5 to 1.8 ns an element on the same tensors, but
// slower on 2 threads than on 1.
import type { Info, KernelCalls } from "./kernel-calls";
import { channelScaleShiftPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { CHANNEL_SCALE_SHIFT_THREAD_JOB } from "./thread-jobs";

export interface BatchNormInputs {
  x: Info;
  mean: Info;
  variance: Info;
  offset?: Info;
  scale?: Info;
}

/** One value per channel (the last axis of x), or a single value. */
function perChannel(p: Info | undefined, channels: number): boolean {
  if (p === undefined) return true;
  const size = p.shape.reduce((a, b) => a * b, 1);
  return p.dtype === "float32" && (size === 1 || (size === channels && p.shape[p.shape.length - 1] === channels));
}

/** The map repeated `times` times: per-channel vectors for rows of `times` pixels. */
function repeated(values: Float32Array, times: number): Float32Array {
  const out = new Float32Array(values.length * times);
  for (let t = 0; t < times; t++) out.set(values, t * values.length);
  return out;
}

/** x * factor + bias per channel; x keeps its shape. */
function channelAffine(calls: KernelCalls, x: Info, factor: Float32Array, bias: Float32Array): Info {
  const total = x.shape.reduce((a, b) => a * b, 1);
  // Channels not in vectors of 4 (Detect's 255): four pixels make a row of whole vectors.
  if (factor.length % 4 !== 0 && total % (4 * factor.length) === 0) [factor, bias] = [repeated(factor, 4), repeated(bias, 4)];
  const channels = factor.length;
  const simd = calls.simd;
  if (simd && channels % 4 === 0) {
    const params = calls.alloc([2 * channels]);
    const out = calls.alloc(x.shape);
    try {
      const p = calls.heap(params);
      p.set(factor);
      p.set(bias, channels);
      const payload = [
        calls.heap(x).byteOffset,
        p.byteOffset,
        p.byteOffset + 4 * channels,
        calls.heap(out).byteOffset,
        total / channels,
        channels,
      ];
      const parts = elementwiseParts(calls, total);
      runOnKernelThreads(calls, CHANNEL_SCALE_SHIFT_THREAD_JOB, payload, parts, (q, part) => channelScaleShiftPart(simd, q, part, parts));
      return out;
    } catch (e) {
      calls.free(out);
      throw e;
    } finally {
      calls.free(params);
    }
  }
  return calls.scoped((tmp) => {
    const filter = tmp(calls.alloc([1, 1, channels, 1]));
    const b = tmp(calls.alloc([channels]));
    calls.heap(filter).set(factor);
    calls.heap(b).set(bias);
    const x4 = tmp(calls.reshape(x, [1, 1, total / channels, channels]));
    const y = tmp(
      calls.run(
        "FusedDepthwiseConv2D",
        { x: x4, filter, bias: b },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [1, 1],
          dimRoundingMode: undefined,
          activation: "linear",
        },
      ),
    );
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
  if (channels === 0 || x.shape.some((d) => d === 0) || ![mean, variance, offset, scale].every((p) => perChannel(p, channels)))
    return undefined;
  const read = (p: Info | undefined, fallback: number): Float64Array => {
    const out = new Float64Array(channels).fill(fallback);
    if (p === undefined) return out;
    const values = calls.heap(p);
    for (let c = 0; c < channels; c++) out[c] = values[values.length === 1 ? 0 : c];
    return out;
  };
  const { factor, bias } = batchNormMap(read(mean, 0), read(variance, 1), read(offset, 0), read(scale, 1), varianceEpsilon);
  return channelAffine(calls, x, factor, bias);
}

/**
 * Batch norm as x * factor + bias per channel: factor = scale / sqrt(variance + eps) and
 * bias = offset - mean * factor, in float64, then rounded. Every kernel that applies a batch
 * norm forward (this file, batchnorm-activation.ts) takes its map from here, so they give the same bits.
 */
export function batchNormMap(
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  offset: ArrayLike<number>,
  scale: ArrayLike<number>,
  eps: number,
): { factor: Float32Array; bias: Float32Array } {
  const channels = mean.length;
  const factor = new Float32Array(channels),
    bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const f = scale[c] / Math.sqrt(variance[c] + eps);
    factor[c] = f;
    bias[c] = offset[c] - mean[c] * f;
  }
  return { factor, bias };
}

/** Below this many elements the stock broadcast is as fast as creating the XNNPACK operator. */
const MIN_AFFINE_ELEMENTS = 1 << 17;

/**
 * Mul, Add, Sub or RealDiv of a tensor [..., C] and a per-channel vector (shape [C] or
 * [1, ..., 1, C]) or a single value, in either order (RealDiv: the tensor first), as
 * channelAffine; undefined when the operands are anything else. wasm's broadcasting binary
 * kernels ran at 1 to 3.5 ns an element on these shapes (BatchNorm's statistics and
 * gradient broadcast a channel vector, Mean's gradient divides by a scalar).
 */
export function channelBroadcastBinary(calls: KernelCalls, op: "Multiply" | "Add" | "Sub" | "RealDiv", a: Info, b: Info): Info | undefined {
  if (!calls.hasHeap || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const size = (t: Info) => t.shape.reduce((p, d) => p * d, 1);
  const isVectorFor = (v: Info, x: Info) => {
    if (x.shape.length === 0) return false;
    const channels = x.shape[x.shape.length - 1];
    if (size(v) === 1) return v.shape.length <= x.shape.length;
    return (
      v.shape.length <= x.shape.length &&
      size(v) === channels &&
      v.shape.every((d, i) => (i === v.shape.length - 1 ? d === channels : d === 1))
    );
  };
  let x: Info, v: Info, vectorFirst: boolean;
  if (isVectorFor(b, a) && size(a) > size(b)) [x, v, vectorFirst] = [a, b, false];
  else if (op !== "RealDiv" && isVectorFor(a, b) && size(b) > size(a)) [x, v, vectorFirst] = [b, a, true];
  else return undefined;
  if (size(x) < MIN_AFFINE_ELEMENTS) return undefined;
  // A single value maps every element alike, so any row width does: one vector where x's
  // channels do not come in vectors (Detect's 85: the loss's scalar factors).
  let channels = x.shape[x.shape.length - 1];
  if (size(v) === 1 && channels % 4 !== 0 && size(x) % 4 === 0) channels = 4;
  const values = calls.heap(v);
  const factor = new Float32Array(channels),
    bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const value = values[values.length === 1 ? 0 : c];
    if (op === "Multiply") {
      factor[c] = value;
      bias[c] = 0;
    } else if (op === "RealDiv") {
      factor[c] = 1 / value;
      bias[c] = 0;
    } else if (op === "Add") {
      factor[c] = 1;
      bias[c] = value;
    } else if (vectorFirst) {
      factor[c] = -1;
      bias[c] = value;
    } // v - x
    else {
      factor[c] = 1;
      bias[c] = -value;
    } // x - v
  }
  return channelAffine(calls, x, factor, bias);
}
