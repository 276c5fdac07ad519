// Conv2DBackpropInput as row-times-matrix products added into overlapping rows of dx
// (wasm-simd/row-scatter-wat.ts):
//   dx[n, y*sh + i - pt, x*sw - pl + q/ci, q%ci] += sum over o of dy[n, y, x, o] * Wt[i, o, q]
// with Wt[i, o, j*ci + c] = W[i, j, c, o]: each output pixel adds one product per filter row
// i into the kw*ci contiguous values of dx under it; pixels at the left and right edges add
// one filter column j at a time (conv-row-runs.ts). No col2im, no per-phase convolutions
// for strides. On YOLOv5n's input-gradient shapes (1 thread): 28 GFLOP/s in all, against 20 for
// the forward-convolution and GEMM forms (19-32 per shape, against 14-27).
import type { ConvGeometry } from "./conv-geometry";
import { rowsPerCall } from "./conv-row-runs";
import type { Info, KernelCalls } from "./kernel-calls";
import { runConvJob, singleThreadOrKernelThreads } from "./run-conv-job";
import { convJobStores } from "./conv-job";
import { simdKernelsFused } from "../wasm-simd/load";

/** Switches for tests and benchmarks, as for the outer-product filter gradient. */
export const scatterInputGradient = { enabled: true, chunkBytes: 192 * 1024 };

const F32 = 4;

/**
 * The kernel's columns come in vectors of 4: dx's channel count must be a multiple of 4. The
 * forms it replaces run on XNNPACK's threads: on a threaded backend it needs kernel threads
 * too (kernel-threads.ts; on one thread it lost to them, 18-26 GFLOP/s against 29 at 2).
 */
export function scatterInputGradientApplies(calls: KernelCalls, g: ConvGeometry): boolean {
  return (
    scatterInputGradient.enabled &&
    calls.hasHeap &&
    g.inChannels % 4 === 0 &&
    singleThreadOrKernelThreads(calls.wasmMemory) &&
    calls.simd !== undefined
  );
}

export function backpropInputScatter(calls: KernelCalls, dy: Info, filter: Info, g: ConvGeometry): Info {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outWidth: ow, strideWidth: sw } = g;
  const co = dy.shape[3];
  const rowsPerChunk = rowsPerCall(scatterInputGradient.chunkBytes, (ow * co + W * C) * F32);
  // Four pixels share a tile when their rows of dx, sw*ci apart, cannot overlap within a tile 8 wide.
  const rowsPerTile = sw * C >= 8 ? 4 : 1;

  return calls.scoped((tmp) => {
    const wT = tmp(calls.transpose(filter, [0, 3, 1, 2])); // [kh, co, kw, ci]
    const dx = calls.alloc([N, H, W, C]);
    // A view after the last allocation here: growing the heap detaches it.
    const dxHeap = calls.heap(dx);
    const stores = convJobStores("inputGradient", g);
    runConvJob(calls, {
      kind: "inputGradient",
      g,
      outChannels: co,
      inputAt: dxHeap.byteOffset,
      outputAt: calls.heap(dy).byteOffset,
      filterAt: calls.heap(wT).byteOffset,
      rowsPerChunk,
      rowsPerTile,
      fused: simdKernelsFused(),
      zeroWritten: !stores,
      stores,
    });
    return dx;
  });
}
