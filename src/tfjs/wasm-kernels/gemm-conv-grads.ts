// Convolution gradients as matrix products (XNNPACK GEMM through a 1x1 Conv2D, which is
// threaded) around copies written in JS straight into the wasm heap:
//   dW [kh*kw*ci, co] = sum over row groups of patchesT [kh*kw*ci, P] x dy [P, co]   (im2col)
//   dx = col2im(dy [n*oh*ow, co] x W^T [co, kh*kw*ci])                           (scatter-add)
// The direct forms (a Conv2D over swapped axes, per-phase convolutions) ran at 4 to 18
// GFLOP/s on YOLOv5n's shapes, the bare product at about 30; but the copies cost 1 to 5 ns
// an element on a 2-core machine, so the GEMM forms only pay where the channel counts are
// high (filterGemmPays / inputGemmPays, measured with fresh inputs each call).
import type { ConvGeometry } from "./conv-geometry";
import type { Info, KernelCalls } from "./kernel-calls";

/**
 * Switches for tests and benchmarks: `filter`/`input` false keep the direct forms;
 * `always` takes the GEMM form whether or not it pays; `maxPack` bounds the elements of
 * the operand XNNPACK repacks per product (the filter gradient runs per group of output
 * rows). 64K beat 16M on YOLOv5n's 1x1 shapes (32->16 at 80x80: 9.4 against 13 ms) and
 * was within noise elsewhere.
 */
export const gemmConvGrads = { filter: true, input: true, always: false, maxPack: 1 << 16 };

/** dx[n, y*sh + i - pt, x*sw + j - pl, c] += cols[(n*oh + y)*ow + x, (i*kw + j)*ci + c]. */
function col2im(cols: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padTop: pt, padLeft: pl } = g;
  const rowLength = kh * kw * C;
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const base = ((n * oh + y) * ow + x) * rowLength;
        for (let i = 0; i < kh; i++) {
          const yy = y * sh + i - pt;
          if (yy < 0 || yy >= H) continue;
          for (let j = 0; j < kw; j++) {
            const xx = x * sw + j - pl;
            if (xx < 0 || xx >= W) continue;
            const d = ((n * H + yy) * W + xx) * C;
            const s = base + (i * kw + j) * C;
            for (let c = 0; c < C; c++) dx[d + c] += cols[s + c];
          }
        }
      }
    }
  }
}

/**
 * patchesT[(i*kw + j)*ci + c, (r - r0)*ow + x] = x[n, y*sh + i - pt, x*sw + j - pl, c] (0
 * outside), for the output rows r = n*oh + y in [r0, r1).
 */
function im2colTransposed(src: Float32Array, dst: Float32Array, g: ConvGeometry, r0: number, r1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padTop: pt, padLeft: pl } = g;
  const cols = (r1 - r0) * ow;
  const step = sw * C;
  for (let j = 0; j < kw; j++) {
    // Output columns x whose input column x*sw + j - pl lies inside [0, W).
    const x0 = Math.min(ow, Math.max(0, Math.ceil((pl - j) / sw)));
    const x1 = Math.max(x0, Math.min(ow, Math.floor((W - 1 + pl - j) / sw) + 1));
    for (let i = 0; i < kh; i++) {
      const tapRow = (i * kw + j) * C;
      for (let r = r0; r < r1; r++) {
        const n = Math.floor(r / oh),
          y = r - n * oh;
        const yy = y * sh + i - pt;
        const col = (r - r0) * ow;
        if (yy < 0 || yy >= H) {
          for (let c = 0; c < C; c++) dst.fill(0, (tapRow + c) * cols + col, (tapRow + c) * cols + col + ow);
          continue;
        }
        const srcRow = (n * H + yy) * W * C + (x0 * sw + j - pl) * C;
        for (let c = 0; c < C; c++) {
          const d = (tapRow + c) * cols + col;
          for (let x = 0; x < x0; x++) dst[d + x] = 0;
          let s = srcRow + c;
          for (let x = x0; x < x1; x++, s += step) dst[d + x] = src[s];
          for (let x = x1; x < ow; x++) dst[d + x] = 0;
        }
      }
    }
  }
}

/** dst [cols, rows] = src [rows, cols] transposed, in blocks of rows that stay in cache. */
function transpose2d(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  const block = 64;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c = 0; c < cols; c++) {
      let s = r0 * cols + c;
      const d = c * rows;
      for (let r = r0; r < r1; r++, s += cols) dst[d + r] = src[s];
    }
  }
}

/** A 1x1, stride-1, unpadded convolution: the patches are x itself, channel-major. */
function isPointwise(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}

/**
 * Conv2DBackpropFilter as a sum of GEMMs A_q [rows, depth] x B_q [depth, cols], one per
 * group of output rows q (depth = pixels in the group). A is written transposed in JS.
 * B is the kernels' "weights": tfjs transposes and XNNPACK repacks them on every call, a
 * cost that grew with B's width once B left the cache (4 to 10 ns per element), so the
 * groups are cut to keep B within `maxPack` elements:
 *   larger filters: A = patchesT [kh*kw*ci, depth], B = dy [depth, co];
 *   1x1: A = dy^T [co, depth], B = x [depth, ci], giving dW^T.
 */
export function backpropFilterGemm(calls: KernelCalls, x: Info, dy: Info, g: ConvGeometry): Info {
  const { batch: N, inChannels: C, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = g;
  const co = dy.shape[3];
  const pointwise = isPointwise(g);
  const [aRows, bCols] = pointwise ? [co, C] : [kh * kw * C, co];
  const outRows = N * oh;
  const rowsPerGemm = Math.max(1, Math.floor(gemmConvGrads.maxPack / (ow * bCols)));
  return calls.scoped((tmp) => {
    let sum: Info | undefined;
    for (let r0 = 0; r0 < outRows; r0 += rowsPerGemm) {
      const r1 = Math.min(outRows, r0 + rowsPerGemm);
      const depth = (r1 - r0) * ow;
      const a = tmp(calls.alloc([aRows, depth]));
      const b = tmp(calls.alloc([depth, bCols]));
      const [aHeap, bHeap] = [calls.heap(a), calls.heap(b)];
      if (pointwise) {
        transpose2d(calls.heap(dy).subarray(r0 * ow * co, r1 * ow * co), aHeap, depth, co);
        bHeap.set(calls.heap(x).subarray(r0 * ow * C, r1 * ow * C));
      } else {
        im2colTransposed(calls.heap(x), aHeap, g, r0, r1);
        bHeap.set(calls.heap(dy).subarray(r0 * ow * co, r1 * ow * co));
      }
      const part = tmp(calls.matMul(a, b));
      sum = sum === undefined ? part : tmp(calls.run("Add", { a: sum, b: part }));
    }
    const dw = pointwise ? tmp(calls.transpose(sum!, [1, 0])) : sum!;
    return calls.reshape(dw, [kh, kw, C, co]);
  });
}

/** Where the GEMM form wins (measured on YOLOv5n's shapes, 1 thread): every 1x1 filter
 *  gradient; larger filters once dy has 128+ channels (the patch copy costs about what the
 *  product saves below that); input gradients of filters larger than 1x1 (a 1x1 one is a
 *  plain GEMM already) with 128+ channels, 64+ when strided (the
 *  per-phase convolutions of a strided one ran at 7 GFLOP/s for 128->256 at 20x20). */
export function filterGemmPays(g: ConvGeometry, outChannels: number): boolean {
  return gemmConvGrads.always || isPointwise(g) || outChannels >= 128;
}
export function inputGemmPays(g: ConvGeometry, outChannels: number): boolean {
  const strided = g.strideHeight > 1 || g.strideWidth > 1;
  return gemmConvGrads.always || (!isPointwise(g) && outChannels >= (strided ? 64 : 128));
}

/** Conv2DBackpropInput as col2im(dy x W^T). */
export function backpropInputGemm(calls: KernelCalls, dy: Info, filter: Info, g: ConvGeometry): Info {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = g;
  const [kh, kw, , co] = filter.shape;
  return calls.scoped((tmp) => {
    const wT = tmp(calls.reshape(tmp(calls.transpose(filter, [3, 0, 1, 2])), [co, kh * kw * C]));
    const dy2 = tmp(calls.reshape(dy, [N * oh * ow, co]));
    const cols = tmp(calls.matMul(dy2, wT));
    const dx = calls.alloc([N, H, W, C]);
    col2im(calls.heap(cols), calls.heap(dx), g);
    return dx;
  });
}
