// Sum and Mean over leading axes (batch-norm statistics and their gradients reduce an NHWC
// tensor over N, H, W) on wasm: wasm transposes the whole tensor so that the reduced axes
// come last before summing; a [1, K] x [K, C] matrix product with a constant row reads it
// once instead (about 20x faster on YOLOv5 activations). Other reductions keep the stock kernel.
import * as tf from "@tensorflow/tfjs";
import { Info, KernelCalls } from "./kernel-calls";

/** Number of leading axes reduced, when `axis` is exactly 0..k-1 (k < rank); else 0. */
export function leadingAxesCount(axis: number | number[], rank: number): number {
  const axes = tf.util.parseAxisParam(axis, Array.from({ length: rank }, () => 1)).sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i) ? axes.length : 0;
  return leading < rank ? leading : 0;
}

export function reduceLeadingAxes(
  calls: KernelCalls, x: Info, axis: number | number[], keepDims: boolean, mean: boolean,
  fallback: (x: Info) => Info,
): Info {
  const k = leadingAxesCount(axis, x.shape.length);
  if (k === 0 || x.dtype !== "float32") return fallback(x);
  const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((a, b) => a * b, 1);
  if (rows === 0 || cols === 0) return fallback(x);
  return calls.scoped((tmp) => {
    const weights = tmp(calls.run("Fill", {}, { shape: [1, 1, rows], value: mean ? 1 / rows : 1, dtype: "float32" }));
    const matrix = tmp(calls.reshape(x, [1, rows, cols]));
    const product = tmp(calls.run("BatchMatMul", { a: weights, b: matrix }, { transposeA: false, transposeB: false }));
    return calls.reshape(product, keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest);
  });
}
