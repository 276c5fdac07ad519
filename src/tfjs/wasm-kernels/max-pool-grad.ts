// MaxPoolGrad for wasm over the heap: each window's first strict maximum (the cpu backend's
// rule) receives that output's dy. wasm's own kernel took 12.6 ms for one [8,10,10,128] 5x5
// pool of YOLOv5's SPPF (about 120 ns an element). Where the channels come in vectors of 4,
// our SIMD kernel (wasm-simd/max-pool-grad-wat.ts) walks each window for 4 channels at once,
// images in parts on the kernel threads (3.3 ms of JS for that pool became about 0.6).
// Otherwise, in JS, the window is taken
// in two steps, channels innermost: each input row's first strict maximum over the output
// column's window, then the first strict maximum of those over the window's rows, which is
// the first in row-major order (ties go to the earlier row, and within it the earlier
// column); fw + fh steps an output instead of fw * fh.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { maxPoolGradPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { MAX_POOL_GRAD_THREAD_JOB } from "./thread-jobs";

export function maxPoolGradHeap(calls: KernelCalls, dy: Info, input: Info, attrs: tf.MaxPoolGradAttrs): Info | undefined {
  if (!calls.hasHeap || input.dtype !== "float32" || dy.dtype !== "float32" || input.shape.length !== 4) return undefined;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const dx = calls.alloc(input.shape);
  const simd = calls.simd;
  if (simd && C % 4 === 0) {
    calls.heap(dx).fill(0);
    const at = (t: Info) => calls.heap(t).byteOffset;
    const payload = [at(input), at(dy), at(dx), N, H, W, C, oh, ow, fh, fw, sh, sw, pt, pl];
    const parts = Math.min(N, elementwiseParts(calls, N * H * W * C));
    runOnKernelThreads(calls, MAX_POOL_GRAD_THREAD_JOB, payload, parts, (p, part) => maxPoolGradPart(simd, p, part, parts));
    return dx;
  }
  const x = calls.heap(input),
    g = calls.heap(dy),
    out = calls.heap(dx);
  out.fill(0);
  // Per image: each input row's maximum over each output column's window, then each output's over its rows.
  const rowBest = new Float32Array(H * ow * C);
  const rowWhere = new Int32Array(H * ow * C);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    rowBest.fill(Number.NEGATIVE_INFINITY);
    rowWhere.fill(-1);
    for (let r = 0; r < H; r++) {
      for (let xo = 0; xo < ow; xo++) {
        const c0 = Math.max(0, xo * sw - pl),
          c1 = Math.min(W, xo * sw - pl + fw);
        const at = (r * ow + xo) * C;
        for (let col = c0; col < c1; col++) {
          const base = ((n * H + r) * W + col) * C;
          for (let c = 0; c < C; c++) {
            const v = x[base + c];
            if (v > rowBest[at + c]) {
              rowBest[at + c] = v;
              rowWhere[at + c] = base + c;
            }
          }
        }
      }
    }
    for (let y = 0; y < oh; y++) {
      const r0 = Math.max(0, y * sh - pt),
        r1 = Math.min(H, y * sh - pt + fh);
      for (let xo = 0; xo < ow; xo++) {
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = r0; r < r1; r++) {
          const at = (r * ow + xo) * C;
          for (let c = 0; c < C; c++) {
            if (rowBest[at + c] > best[c]) {
              best[c] = rowBest[at + c];
              where[c] = rowWhere[at + c];
            }
          }
        }
        const gBase = ((n * oh + y) * ow + xo) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) out[where[c]] += g[gBase + c];
      }
    }
  }
  return dx;
}
