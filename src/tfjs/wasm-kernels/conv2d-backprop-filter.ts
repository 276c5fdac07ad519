// Conv2DBackpropFilter for wasm, which has none: the filter gradient is itself a forward
// convolution (XNNPACK) once the batch and channel axes swap roles:
//   dW[i,j,ci,co] = sum_{n,y,x} x[n, y*s+i-pt, x*s+j-pl, ci] * dy[n,y,x,co]
// is Conv2D(input = x as [ci, H, W, n], filter = dy as [y, x, n, co], dilation = s).
// On wasm, sums of outer products in our SIMD kernel (conv2d-backprop-filter-outer.ts)
// replace it, or, where that kernel cannot orient the product (neither channel count a
// multiple of 4), im2col + one GEMM (gemm-conv-grads.ts) where that pays.
import type * as tf from "@tensorflow/tfjs";
import { convGeometry } from "./conv-geometry";
import { backpropFilterOuter, outerFilterGradientApplies } from "./conv2d-backprop-filter-outer";
import { backpropFilterGemm, filterGemmPays, gemmConvGrads } from "./gemm-conv-grads";
import type { Info, KernelCalls } from "./kernel-calls";
import { winogradApplies, winogradFilterGradient } from "./winograd-conv";

export function conv2dBackpropFilter(calls: KernelCalls, x: Info, dy: Info, attrs: tf.Conv2DBackpropFilterAttrs): Info {
  const g = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, attrs.dataFormat);
  if (winogradApplies(calls, g, dy.shape[3])) return winogradFilterGradient(calls, x, dy, g);
  if (outerFilterGradientApplies(calls, g, dy.shape[3])) return backpropFilterOuter(calls, x, dy, g);
  if (gemmConvGrads.filter && calls.hasHeap && filterGemmPays(g, dy.shape[3])) return backpropFilterGemm(calls, x, dy, g);
  return calls.scoped((tmp) => {
    // Rows/columns of x that no output reads are cut off, so the result is exactly kh x kw.
    const usedH = Math.min(g.inHeight, (g.outHeight - 1) * g.strideHeight + g.filterHeight - g.padTop);
    const usedW = Math.min(g.inWidth, (g.outWidth - 1) * g.strideWidth + g.filterWidth - g.padLeft);
    let input = x;
    if (usedH < g.inHeight || usedW < g.inWidth) {
      input = tmp(calls.slice(x, [0, 0, 0, 0], [g.batch, usedH, usedW, g.inChannels]));
    }
    const xT = tmp(calls.transpose(input, [3, 1, 2, 0])); // [ci, H, W, n]
    const dyT = tmp(calls.transpose(dy, [1, 2, 0, 3])); // [y, x, n, co]
    const padBottom = (g.outHeight - 1) * g.strideHeight + g.filterHeight - g.padTop - usedH;
    const padRight = (g.outWidth - 1) * g.strideWidth + g.filterWidth - g.padLeft - usedW;
    const grad = tmp(
      calls.conv2d(
        xT,
        dyT,
        [
          [0, 0],
          [g.padTop, padBottom],
          [g.padLeft, padRight],
          [0, 0],
        ],
        [g.strideHeight, g.strideWidth],
      ),
    ); // [ci, kh, kw, co]
    return calls.transpose(grad, [1, 2, 0, 3]);
  });
}
