// Conv2DBackpropFilter as sums of outer products of rows (wasm-simd/outer-accumulate):
//   dW[i, j, c, o] = sum over n, y, x of  x[n, y*sh + i - pt, x*sw + j - pl, c] * dy[n, y, x, o]
// In NHWC the kw*ci values of one filter row i under output pixel x are contiguous in x
// (starting at column x*sw - pl), so for pixels whose whole filter row lies inside the
// image, dW[i] viewed as [kw*ci, co] is one sum over rows of x (stride sw*ci) and rows of
// dy (stride co). Pixels at the left and right edges are summed per filter column j.
// Measured on YOLOv5n's shapes (1 thread): 19-31 GFLOP/s, against 5-15 for im2col + GEMM.
import { ConvGeometry } from "./conv-geometry";
import { Info, KernelCalls } from "./kernel-calls";
import { outerAccumulateFor } from "../wasm-simd/outer-accumulate";

/**
 * Switches for tests and benchmarks: `enabled` false leaves the filter gradient to the other
 * forms; `chunkBytes` bounds the bytes of x and dy one call sums over (they are read once
 * per tile of dW, so they should stay in the L2 cache).
 */
export const outerFilterGradient = { enabled: true, chunkBytes: 192 * 1024 };

const F32 = 4;

/**
 * The kernel takes C's columns in vectors of 4: dW's columns (co) when co % 4 == 0, else,
 * when ci % 4 == 0, dW transposed per filter row ([co, kw*ci]), transposed back at the end.
 */
export function outerFilterGradientApplies(calls: KernelCalls, g: ConvGeometry, outChannels: number): boolean {
  if (!outerFilterGradient.enabled || !calls.hasHeap) return false;
  if (outChannels % 4 !== 0 && g.inChannels % 4 !== 0) return false;
  const memory = calls.wasmMemory;
  return memory !== undefined && outerAccumulateFor(memory) !== undefined;
}

export function backpropFilterOuter(calls: KernelCalls, x: Info, dy: Info, g: ConvGeometry): Info {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padTop: pt, padLeft: pl } = g;
  const co = dy.shape[3];
  const transposed = co % 4 !== 0;
  const accumulate = outerAccumulateFor(calls.wasmMemory!)!;
  const rowLength = kw * C;
  const outRows = N * oh;
  const rowsPerChunk = Math.max(1, Math.floor(outerFilterGradient.chunkBytes / (ow * (sw * C + co) * F32)));
  const maxSegments = Math.min(outRows, rowsPerChunk) * 2;

  return calls.scoped((tmp) => {
    const dw = calls.alloc([kh, kw, C, co]);
    const acc = transposed ? tmp(calls.alloc([kh, co, rowLength])) : dw;
    const segmentsInfo = tmp(calls.backendMakeOutput([maxSegments * 3], "int32"));
    // Views after the last allocation: growing the heap detaches them.
    const accHeap = calls.heap(acc);
    accHeap.fill(0);
    const segments = calls.heapOf(segmentsInfo) as Int32Array;
    const [xAt, dyAt, accAt, segmentsAt] = [calls.heap(x).byteOffset, calls.heap(dy).byteOffset, accHeap.byteOffset, segments.byteOffset];
    const xStride = sw * C * F32, dyStride = co * F32;
    const xAddress = (n: number, yy: number, xx: number) => xAt + ((n * H + yy) * W + xx) * C * F32;
    const dyAddress = (r: number, xo: number) => dyAt + (r * ow + xo) * co * F32;

    // Output columns whose whole filter row lies inside the image.
    const xa = Math.min(ow, Math.max(0, Math.ceil(pl / sw)));
    const xb = Math.max(xa, Math.min(ow, Math.floor((W - kw + pl) / sw) + 1));

    let count = 0;
    /** A run of `pixels` output pixels; merged with the previous run where both continue it. */
    const addRun = (xAddr: number, dyAddr: number, pixels: number) => {
      if (pixels <= 0) return;
      const [a, b] = transposed ? [dyAddr, xAddr] : [xAddr, dyAddr];
      const last = 3 * (count - 1);
      const [la, lb] = transposed ? [dyStride, xStride] : [xStride, dyStride];
      if (count > 0 && segments[last] + segments[last + 2] * la === a && segments[last + 1] + segments[last + 2] * lb === b) {
        segments[last + 2] += pixels;
        return;
      }
      segments.set([a, b, pixels], 3 * count++);
    };
    /** Sums the runs added into dW[i, j0 .. j0 + width/C), then starts a new list. */
    const flush = (i: number, j0: number, width: number) => {
      if (count === 0) return;
      if (transposed) {
        accumulate(accAt + (i * co * rowLength + j0 * C) * F32, rowLength * F32, segmentsAt, count, dyStride, xStride, co, width);
      } else {
        accumulate(accAt + (i * rowLength + j0 * C) * co * F32, co * F32, segmentsAt, count, xStride, dyStride, width, co);
      }
      count = 0;
    };

    for (let r0 = 0; r0 < outRows; r0 += rowsPerChunk) {
      const r1 = Math.min(outRows, r0 + rowsPerChunk);
      for (let i = 0; i < kh; i++) {
        const eachRow = (f: (n: number, yy: number, r: number) => void) => {
          for (let r = r0; r < r1; r++) {
            const n = Math.floor(r / oh), yy = (r - n * oh) * sh + i - pt;
            if (yy >= 0 && yy < H) f(n, yy, r);
          }
        };
        eachRow((n, yy, r) => addRun(xAddress(n, yy, xa * sw - pl), dyAddress(r, xa), xb - xa));
        flush(i, 0, rowLength);
        for (let j = 0; j < kw; j++) {
          // Output columns whose input column x*sw + j - pl is inside, outside [xa, xb).
          const x0 = Math.min(ow, Math.max(0, Math.ceil((pl - j) / sw)));
          const x1 = Math.max(x0, Math.min(ow, Math.floor((W - 1 + pl - j) / sw) + 1));
          const runs = xb > xa ? [[x0, xa], [xb, x1]] : [[x0, x1]];
          eachRow((n, yy, r) => {
            for (const [s, e] of runs) addRun(xAddress(n, yy, s * sw + j - pl), dyAddress(r, s), e - s);
          });
          flush(i, j, C);
        }
      }
    }
    if (transposed) {
      // dW[i, q, o] = acc[i, o, q] for q = j*C + c.
      const out = calls.heap(dw), src = calls.heap(acc);
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
