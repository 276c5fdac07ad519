// Sum and Mean over leading axes (batch-norm statistics and their gradients reduce an NHWC
// tensor over N, H, W) on wasm: wasm transposes the whole tensor so that the reduced axes
// come last before summing. XNNPACK's average pooling reads it once instead, SIMD and
// threaded: a window over all rows of each batch item, then one over the batch (30x faster
// than the [1, K] x [K, C] matrix product used before, which packed the activation as
// weights on every call). Other reductions keep the stock kernel.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";

/** Number of leading axes reduced, when `axis` is exactly 0..k-1 (k < rank); else 0. */
export function leadingAxesCount(axis: number | number[], rank: number): number {
  const axes = tf.util
    .parseAxisParam(
      axis,
      Array.from({ length: rank }, () => 1),
    )
    .sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i) ? axes.length : 0;
  return leading < rank ? leading : 0;
}

export function reduceLeadingAxes(
  calls: KernelCalls,
  x: Info,
  axis: number | number[],
  keepDims: boolean,
  mean: boolean,
  fallback: (x: Info) => Info,
): Info {
  const k = leadingAxesCount(axis, x.shape.length);
  if (k === 0 || x.dtype !== "float32") return fallback(x);
  const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((a, b) => a * b, 1);
  if (rows === 0 || cols === 0) return fallback(x);
  const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
  if (!tf.getKernel("AvgPool", calls.backendName)) return matrixProductReduction(calls, x, rows, cols, outShape, mean);
  return calls.scoped((tmp) => {
    // Stage 1 averages within each of `groups` items in parallel; stage 2 across them.
    // A 2-D window (x's own H and W for NHWC) runs much faster than a tall 1-D one.
    const groups = k >= 2 ? x.shape[0] : 1;
    const height = k >= 3 ? x.shape[1] : 1;
    let avg = tmp(averageWindow(calls, tmp(calls.reshape(x, [groups, height, rows / groups / height, cols]))));
    if (groups > 1) avg = tmp(averageWindow(calls, tmp(calls.reshape(avg, [1, groups, 1, cols]))));
    const shaped = mean
      ? avg
      : tmp(calls.run("Multiply", { a: avg, b: tmp(calls.run("Fill", {}, { shape: [], value: rows, dtype: "float32" })) }));
    return calls.reshape(shaped, outShape);
  });
}

/** [g, h, w, c] -> [g, 1, 1, c]: the mean over h and w. */
function averageWindow(calls: KernelCalls, x: Info): Info {
  return calls.run("AvgPool", { x }, { filterSize: [x.shape[1], x.shape[2]], strides: [1, 1], pad: "valid", dimRoundingMode: undefined });
}

/** The same reduction without a pooling kernel: [1, rows] x [rows, cols]. */
function matrixProductReduction(calls: KernelCalls, x: Info, rows: number, cols: number, outShape: number[], mean: boolean): Info {
  return calls.scoped((tmp) => {
    const weights = tmp(calls.run("Fill", {}, { shape: [1, 1, rows], value: mean ? 1 / rows : 1, dtype: "float32" }));
    const matrix = tmp(calls.reshape(x, [1, rows, cols]));
    const product = tmp(calls.run("BatchMatMul", { a: weights, b: matrix }, { transposeA: false, transposeB: false }));
    return calls.reshape(product, outShape);
  });
}
