// Conv2D (NHWC, no dilation) as row-times-matrix products added into the output's pixels,
// with the input gradient's kernel (wasm-simd/row-scatter-wat.ts) and the roles of the
// operands swapped:
//   y[n, y, x, :] += x[n, y*sh + i - pt, x*sw - pl + j0 ..][cols*ci values] times W[i, j0 .., :, :]
// In HWIO the kw*ci rows of W[i] are in the order of the kw*ci input values under a pixel, so
// the filter is used as it is; pixels at the edges take one filter column at a time
// (conv-row-runs.ts). It replaces XNNPACK's Conv2D only where our kernels are built with
// fused multiply-adds: without them the two ran at the same speed, with them ours ran faster
// on YOLOv5n's shapes (`node dist/bench/run.js conv`).
import type * as tf from "@tensorflow/tfjs";
import { convGeometry, type ConvGeometry } from "./conv-geometry";
import { rowsPerCall } from "./conv-row-runs";
import type { Info, KernelCalls } from "./kernel-calls";
import { runConvJob, singleThreadOrKernelThreads } from "./run-conv-job";
import { convJobStores } from "./conv-job";
import { simdKernelsFused } from "../wasm-simd/load";

/**
 * Switches for tests and benchmarks, as for the SIMD gradients. `minDepth`: the least kw*ci,
 * the products summed per output pixel and filter row. With less, our tiles spend more on
 * loading and storing the output than on multiply-adds: on the bench's small classifier's
 * first layer (3x3 over 3 channels, 9) XNNPACK was 1.4x faster; from YOLOv5n's stem (6x6 over
 * 3 channels, 18) up, ours was as fast or faster (`node dist/bench/run.js conv`).
 */
export const rowConvForward = { enabled: true, chunkBytes: 192 * 1024, minDepth: 16 };

const F32 = 4;

/**
 * Deep enough rows; one thread or kernel threads for every
 * thread (else XNNPACK's threads, as for the input gradient); fused kernels only.
 */
export function rowConvForwardApplies(calls: KernelCalls, g: ConvGeometry): boolean {
  return (
    rowConvForward.enabled &&
    calls.hasHeap &&
    singleThreadOrKernelThreads(calls.wasmMemory) &&
    g.filterWidth * g.inChannels >= rowConvForward.minDepth &&
    simdKernelsFused() &&
    calls.simd !== undefined
  );
}

export function conv2dRows(calls: KernelCalls, x: Info, filter: Info, g: ConvGeometry): Info {
  const co = filter.shape[3];
  if (co % 4 === 0) return conv2dRowsInto(calls, x, filter, g);
  // Output channels that do not come in vectors (Detect's 255): the filter padded with zero
  // columns to a multiple of 4, and y sliced back (a threaded copy). XNNPACK ran Detect's
  // 1x1 convolutions at 27 GF/s on one thread, ours run at about 40 on every thread.
  const padded = Math.ceil(co / 4) * 4;
  return calls.scoped((tmp) => {
    const wide = tmp(calls.alloc([...filter.shape.slice(0, 3), padded]));
    const [src, dst] = [calls.heap(filter), calls.heap(wide)];
    dst.fill(0);
    for (let r = 0, rows = src.length / co; r < rows; r++) dst.set(src.subarray(r * co, (r + 1) * co), r * padded);
    const y = tmp(conv2dRowsInto(calls, x, wide, g));
    return calls.slice(y, [0, 0, 0, 0], [g.batch, g.outHeight, g.outWidth, co]);
  });
}

function conv2dRowsInto(calls: KernelCalls, x: Info, filter: Info, g: ConvGeometry): Info {
  const { batch: N, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const co = filter.shape[3];
  const rowsPerChunk = rowsPerCall(rowConvForward.chunkBytes, (ow * co + W * C) * F32);
  const y = calls.alloc([N, oh, ow, co]);
  const yHeap = calls.heap(y);
  const stores = convJobStores("forward", g);
  // Output pixels never overlap, so four always share a tile.
  runConvJob(calls, {
    kind: "forward",
    g,
    outChannels: co,
    inputAt: calls.heap(x).byteOffset,
    outputAt: yHeap.byteOffset,
    filterAt: calls.heap(filter).byteOffset,
    rowsPerChunk,
    rowsPerTile: 4,
    fused: simdKernelsFused(),
    zeroWritten: !stores,
    stores,
  });
  return y;
}

/** Conv2D's attributes to a geometry, or undefined where ours does not apply (dilation, NCHW). */
export function conv2dRowsGeometry(x: Info, filter: Info, attrs: tf.Conv2DAttrs): ConvGeometry | undefined {
  const dilations = typeof attrs.dilations === "number" ? [attrs.dilations, attrs.dilations] : (attrs.dilations ?? [1, 1]);
  if (dilations[0] !== 1 || dilations[1] !== 1 || (attrs.dataFormat && attrs.dataFormat !== "NHWC")) return undefined;
  return convGeometry(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, "NHWC");
}
