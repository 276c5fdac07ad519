// Conv2DBackpropFilter as sums of outer products of rows (wasm-simd/outer-accumulate-wat.ts):
//   dW[i, j, c, o] = sum over n, y, x of  x[n, y*sh + i - pt, x*sw + j - pl, c] * dy[n, y, x, o]
// For pixels whose whole filter row lies inside the image, dW[i] viewed as [kw*ci, co] is one
// sum over rows of x (kw*ci contiguous values, stride sw*ci) and rows of dy (stride co);
// pixels at the left and right edges are summed per filter column j (conv-row-runs.ts).
// Measured on YOLOv5n's shapes (1 thread): 19-31 GFLOP/s, against 5-15 for im2col + GEMM.
import type { ConvGeometry } from "./conv-geometry";
import { rowsPerCall } from "./conv-row-runs";
import type { Info, KernelCalls } from "./kernel-calls";
import { runConvJob } from "./run-conv-job";
import { filterGradientImageChunks } from "./conv-job";
import { simdKernelsFused } from "../wasm-simd/load";

/**
 * Switches for tests and benchmarks: `enabled` false leaves the filter gradient to the other
 * forms; `chunkBytes` bounds the bytes of x and dy one call sums over (they are read once per
 * tile of dW), `transposedChunkBytes` the same for dW transposed (co % 4 != 0). Timed on
 * YOLOv5n's and the small CNN's shapes (one and two threads, alternating runs), 64 KiB ran
 * their filter gradients 0-25% faster than the 192 KiB the other kernels use (the stem about
 * even); the transposed form, Detect's 255 channels, ran 10-20% slower with it, so it keeps 192.
 */
export const outerFilterGradient = { enabled: true, chunkBytes: 64 * 1024, transposedChunkBytes: 192 * 1024 };

const F32 = 4;

/**
 * The kernel takes C's columns in vectors of 4: dW's columns (co) when co % 4 == 0, else,
 * when ci % 4 == 0, dW transposed per filter row ([co, kw*ci]), transposed back at the end.
 */
export function outerFilterGradientApplies(calls: KernelCalls, g: ConvGeometry, outChannels: number): boolean {
  if (!outerFilterGradient.enabled || !calls.hasHeap) return false;
  if (outChannels % 4 !== 0 && g.inChannels % 4 !== 0) return false;
  return calls.simd !== undefined;
}

export function backpropFilterOuter(calls: KernelCalls, x: Info, dy: Info, g: ConvGeometry): Info {
  const { inChannels: C, outWidth: ow } = g;
  const { filterHeight: kh, filterWidth: kw, strideWidth: sw } = g;
  const co = dy.shape[3];
  const transposed = co % 4 !== 0;
  const rowLength = kw * C;
  const chunkBytes = transposed ? outerFilterGradient.transposedChunkBytes : outerFilterGradient.chunkBytes;
  const rowsPerChunk = rowsPerCall(chunkBytes, ow * (sw * C + co) * F32);

  // One accumulator for each chunk of images the job sums separately (conv-job.ts), added
  // in chunk order below.
  const chunks = filterGradientImageChunks(g, co);
  const copy = kh * rowLength * co;
  return calls.scoped((tmp) => {
    const dw = calls.alloc([kh, kw, C, co]);
    const acc = transposed || chunks > 1 ? tmp(calls.alloc([chunks * copy])) : dw;
    // A view after the last allocation here: growing the heap detaches it.
    const accHeap = calls.heap(acc);
    accHeap.fill(0);
    const accAt = accHeap.byteOffset;
    // Sums the listed runs into dW[i, j0 .. j0 + filterColumns) (conv-job.ts).
    runConvJob(calls, {
      kind: transposed ? "filterGradientTransposed" : "filterGradient",
      g,
      outChannels: co,
      inputAt: calls.heap(x).byteOffset,
      outputAt: calls.heap(dy).byteOffset,
      filterAt: accAt,
      rowsPerChunk,
      rowsPerTile: 4,
      fused: simdKernelsFused(),
      zeroWritten: false,
      stores: false,
    });
    if (chunks > 1) {
      // ((copy 0 + copy 1) + copy 2) ...: into dW itself, or into copy 0 to transpose from.
      const simd = calls.simd!;
      const sumAt = transposed ? accAt : calls.heap(dw).byteOffset;
      for (let c = 1; c < chunks; c++) simd.addValues(c === 1 ? accAt : sumAt, accAt + c * copy * F32, sumAt, copy);
    }
    if (transposed) {
      // dW[i, q, o] = acc[i, o, q] for q = j*C + c.
      const out = calls.heap(dw),
        src = calls.heap(acc);
      for (let i = 0; i < kh; i++) {
        const base = i * co * rowLength;
        for (let o = 0; o < co; o++) {
          const s = base + o * rowLength;
          for (let q = 0; q < rowLength; q++) out[base + q * co + o] = src[s + q];
        }
      }
    }
    return dw;
  });
}
