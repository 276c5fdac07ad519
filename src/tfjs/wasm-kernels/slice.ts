// Slice, SplitV and Concat for wasm as strided copies of contiguous runs. wasm's own Slice
// copies every innermost row with subarray() + set(), an object and a call per row:
// splitting the channels of [8,80,80,32] in two (a Concat's gradient in YOLOv5's C3 blocks)
// took 18 ms, about 11 ns an element. Here trailing axes taken whole merge into one run, and
// the runs along the innermost leading axes, where they are evenly spaced, are one job of our
// copyRuns kernel (wasm-simd/copy-runs-wat.ts) in parts on the kernel threads; without it,
// short runs are copied element by element in JS and long ones with set().
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { copyRunsPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { COPY_RUNS_THREAD_JOB } from "./thread-jobs";

/** Runs this short or shorter are copied in a loop; longer ones with TypedArray.set (without our kernel). */
const SHORT_RUN = 64;

/**
 * `count` runs of `run` elements (4 bytes each), `srcStride` apart in src and `dstStride`
 * apart in dst, offsets and strides in elements.
 */
function copyRuns(
  calls: KernelCalls,
  src: Int32Array | Float32Array,
  srcAt: number,
  srcStride: number,
  dst: Int32Array | Float32Array,
  dstAt: number,
  dstStride: number,
  run: number,
  count: number,
): void {
  const simd = calls.simd;
  if (simd) {
    const payload = [src.byteOffset + 4 * srcAt, 4 * srcStride, dst.byteOffset + 4 * dstAt, 4 * dstStride, 4 * run, count];
    const parts = Math.min(count, elementwiseParts(calls, run * count));
    runOnKernelThreads(calls, COPY_RUNS_THREAD_JOB, payload, parts, (p, part) => copyRunsPart(simd, p, part, parts));
    return;
  }
  for (let r = 0, s = srcAt, o = dstAt; r < count; r++, s += srcStride, o += dstStride) {
    if (run <= SHORT_RUN) {
      for (let k = 0; k < run; k++) dst[o + k] = src[s + k];
    } else {
      dst.set(src.subarray(s, s + run), o);
    }
  }
}

/** x[begin : begin + size] of a float32 or int32 tensor, or undefined to fall back (strings, bool). */
export function sliceHeap(calls: KernelCalls, x: Info, begin: number[], size: number[]): Info | undefined {
  if (!calls.hasHeap || (x.dtype !== "float32" && x.dtype !== "int32")) return undefined;
  const rank = x.shape.length;
  const outSize = size.reduce((a, b) => a * b, 1);
  const out = calls.backendMakeOutput(size, x.dtype);
  if (outSize === 0 || rank === 0) {
    if (outSize > 0) calls.heapOf(out).set(calls.heapOf(x).subarray(0, outSize));
    return out;
  }
  // The innermost axis d that is not taken whole: axes after it are whole, so each index of
  // the axes before d starts one contiguous run of size[d] * (elements per index of d).
  let d = rank - 1;
  while (d > 0 && size[d] === x.shape[d] && begin[d] === 0) d--;
  const strides = tf.util.computeStrides(x.shape);
  const inner = d === rank - 1 ? 1 : strides[d];
  const run = size[d] * inner;
  const src = calls.heapOf(x),
    dst = calls.heapOf(out);
  if (d === 0) {
    copyRuns(calls, src, begin[0] * inner, 0, dst, 0, 0, run, 1);
    return out;
  }
  // The runs along axis d-1 are evenly spaced, and so are those along the axes before it down
  // to `first` while each axis after `first` is taken whole: one copy per index of the axes
  // before `first` (one copy in all for a slice of the channels of NHWC).
  const outer = d - 1;
  let first = outer;
  while (first > 0 && size[first] === x.shape[first] && begin[first] === 0) first--;
  const perCopy = size.slice(first, outer + 1).reduce((a, b) => a * b, 1);
  const index = new Array<number>(first).fill(0);
  const copies = outSize / (run * perCopy);
  let o = 0;
  for (let q = 0; q < copies; q++) {
    let s = begin[d] * inner;
    for (let a = first; a <= outer; a++) s += begin[a] * strides[a];
    for (let a = 0; a < first; a++) s += (begin[a] + index[a]) * strides[a];
    copyRuns(calls, src, s, strides[outer], dst, o, run, run, perCopy);
    o += run * perCopy;
    for (let a = first - 1; a >= 0; a--) {
      // odometer over the leading axes
      if (++index[a] < size[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

/** SplitV as one sliceHeap per piece, or undefined to fall back. */
export function splitVHeap(calls: KernelCalls, x: Info, numOrSizeSplits: number | number[], axis: number | number[]): Info[] | undefined {
  if (!calls.hasHeap || (x.dtype !== "float32" && x.dtype !== "int32")) return undefined;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[$axis] = s;
    const piece = sliceHeap(calls, x, [...begin], size)!;
    begin[$axis] += s;
    return piece;
  });
}

/**
 * Concat of float32 or int32 tensors with the same run copy (wasm's own kernel also sets
 * one subarray() per row), or undefined to fall back. A single non-empty input is shared.
 */
export function concatHeap(calls: KernelCalls, inputs: Info[], axis: number | number[]): Info | undefined {
  if (!calls.hasHeap || inputs.length === 0) return undefined;
  const dtype = inputs[0].dtype;
  if ((dtype !== "float32" && dtype !== "int32") || inputs.some((t) => t.dtype !== dtype)) return undefined;
  const $axis = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    $axis,
  );
  const parts = inputs.filter((t) => t.shape.reduce((a, b) => a * b, 1) > 0);
  if (parts.length <= 1) return undefined;
  const out = calls.backendMakeOutput(outShape, dtype);
  const outer = inputs[0].shape.slice(0, $axis).reduce((a, b) => a * b, 1);
  const runs = parts.map((t) => t.shape.slice($axis).reduce((a, b) => a * b, 1));
  const total = runs.reduce((a, b) => a + b, 0);
  const sources = parts.map((t) => calls.heapOf(t));
  const dst = calls.heapOf(out);
  for (let p = 0, offset = 0; p < parts.length; offset += runs[p], p++) {
    copyRuns(calls, sources[p], 0, runs[p], dst, offset, total, runs[p], outer);
  }
  return out;
}
