// Conv2D (NHWC, no dilation) as row-times-matrix products added into the output's pixels,
// with the input gradient's kernel (wasm-simd/row-scatter-wat.ts) and the roles of the
// operands swapped:
//   y[n, y, x, :] += x[n, y*sh + i - pt, x*sw - pl + j0 ..][cols*ci values] times W[i, j0 .., :, :]
// In HWIO the kw*ci rows of W[i] are in the order of the kw*ci input values under a pixel, so
// the filter is used as it is; pixels at the edges take one filter column at a time
// (conv-row-runs.ts). It replaces XNNPACK's Conv2D only where our kernels are built with
// fused multiply-adds: without them the two ran at the same speed, with them ours ran faster
// on YOLOv5n's shapes (`node dist/bench/run.js conv`).
import * as tf from "@tensorflow/tfjs";
import { convGeometry, ConvGeometry } from "./conv-geometry";
import { rowsPerCall, SegmentList, walkConvRuns } from "./conv-row-runs";
import { Info, KernelCalls } from "./kernel-calls";
import { wasmThreadsInUse } from "../wasm-threads";
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

/** y's channels come in vectors of 4; deep enough rows; one thread, as for the input gradient; fused kernels only. */
export function rowConvForwardApplies(calls: KernelCalls, g: ConvGeometry, outChannels: number): boolean {
  return rowConvForward.enabled && calls.hasHeap && outChannels % 4 === 0 && wasmThreadsInUse() === 1 &&
    g.filterWidth * g.inChannels >= rowConvForward.minDepth &&
    simdKernelsFused() && calls.simd !== undefined;
}

export function conv2dRows(calls: KernelCalls, x: Info, filter: Info, g: ConvGeometry): Info {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const { filterWidth: kw, strideWidth: sw } = g;
  const co = filter.shape[3];
  const { rowScatter } = calls.simd!;
  const outRows = N * oh;
  const rowsPerChunk = rowsPerCall(rowConvForward.chunkBytes, (ow * co + W * C) * F32);

  return calls.scoped((tmp) => {
    const y = calls.alloc([N, oh, ow, co]);
    const segmentsInfo = tmp(calls.backendMakeOutput([Math.min(outRows, rowsPerChunk) * 2 * 3], "int32"));
    // Views after the last allocation: growing the heap detaches them.
    const yHeap = calls.heap(y);
    yHeap.fill(0);
    const [xAt, yAt, wAt] = [calls.heap(x).byteOffset, yHeap.byteOffset, calls.heap(filter).byteOffset];
    const xStride = sw * C * F32, yStride = co * F32;
    const segments = new SegmentList(calls.heapOf(segmentsInfo) as Int32Array, xStride, yStride);
    const addRun = (n: number, yy: number, xx: number, r: number, xo: number, pixels: number) =>
      segments.add(xAt + ((n * H + yy) * W + xx) * C * F32, yAt + (r * ow + xo) * co * F32, pixels);
    /** Adds the runs listed times W[i][j0*C .. (j0 + filterColumns)*C, :], and empties the list. */
    const flush = (i: number, j0: number, filterColumns: number) => {
      if (segments.count === 0) return;
      // Output pixels never overlap, so four always share a tile.
      rowScatter(segments.address, segments.count, yStride, xStride, wAt + (i * kw + j0) * C * co * F32,
        co * F32, filterColumns * C, co, 4);
      segments.count = 0;
    };

    walkConvRuns(g, rowsPerChunk, addRun, flush);
    return y;
  });
}

/** Conv2D's attributes to a geometry, or undefined where ours does not apply (dilation, NCHW). */
export function conv2dRowsGeometry(x: Info, filter: Info, attrs: tf.Conv2DAttrs): ConvGeometry | undefined {
  const dilations = typeof attrs.dilations === "number" ? [attrs.dilations, attrs.dilations] : attrs.dilations ?? [1, 1];
  if (dilations[0] !== 1 || dilations[1] !== 1 || (attrs.dataFormat && attrs.dataFormat !== "NHWC")) return undefined;
  return convGeometry(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, "NHWC");
}
