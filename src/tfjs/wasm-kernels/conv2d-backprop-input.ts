// Conv2DBackpropInput for wasm as forward Conv2Ds (XNNPACK) instead of wasm's own direct
// loop, its slowest kernel in a YOLOv5 step. Stride 1: dy convolved with the spatially
// flipped filter, in/out channels swapped. Stride s > 1: rather than convolving a dy with
// s-1 zeros between samples (s*s times the work), each of the s*s output phases
// (rows r = s*i + a, columns s*j + b) is its own small convolution of dy with the filter
// taps that reach that phase; the phases are then interleaved. Where dx's channels are a
// multiple of 4, our SIMD kernel (conv2d-backprop-input-scatter.ts) replaces both.
import type * as tf from "@tensorflow/tfjs";
import { convGeometry, type ConvGeometry } from "./conv-geometry";
import { backpropInputGemm, gemmConvGrads, inputGemmPays } from "./gemm-conv-grads";
import { backpropInputScatter, scatterInputGradientApplies } from "./conv2d-backprop-input-scatter";
import type { Info, KernelCalls } from "./kernel-calls";
import { cropForNegativePads } from "./upsample-zeros";
import { winogradApplies, winogradInputGradient } from "./winograd-conv";

/** The taps of one phase along one axis: first tap, count, and the conv's leading pad. */
interface PhaseTaps {
  first: number;
  count: number;
  padBefore: number;
  outSize: number;
}

function phaseTaps(phase: number, stride: number, kernel: number, padStart: number, inSize: number): PhaseTaps {
  const first = (((phase + padStart) % stride) + stride) % stride;
  const count = first < kernel ? Math.ceil((kernel - first) / stride) : 0;
  // dx[s*i + phase] = sum_t dy[i + offset - t] * W[first + s*t], offset = (phase + padStart - first) / s.
  const offset = (phase + padStart - first) / stride;
  return { first, count, padBefore: count - 1 - offset, outSize: Math.ceil((inSize - phase) / stride) };
}

/** dx rows/columns of one phase: dy convolved with the flipped sub-filter of its taps. */
function phaseGradient(
  calls: KernelCalls,
  dy: Info,
  filter: Info,
  g: ConvGeometry,
  rows: PhaseTaps,
  cols: PhaseTaps,
  outH: number,
  outW: number,
): Info {
  const [n, hIn, wIn] = [g.batch, rows.outSize, cols.outSize];
  return calls.scoped((tmp) => {
    if (rows.count === 0 || cols.count === 0) {
      return calls.run("Fill", {}, { shape: [n, outH, outW, g.inChannels], value: 0, dtype: "float32" });
    }
    const [kh, kw, ci, co] = filter.shape;
    const taps =
      rows.count === kh && cols.count === kw
        ? filter
        : tmp(
            calls.run(
              "StridedSlice",
              { x: filter },
              {
                begin: [rows.first, cols.first, 0, 0],
                end: [kh, kw, ci, co],
                strides: [g.strideHeight, g.strideWidth, 1, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            ),
          );
    const flipped = rows.count > 1 || cols.count > 1 ? tmp(calls.reverse(taps, [0, 1])) : taps;
    const filterT = tmp(calls.transpose(flipped, [0, 1, 3, 2])); // [th, tw, co, ci]
    const padAfterH = hIn - dy.shape[1] - rows.padBefore + rows.count - 1;
    const padAfterW = wIn - dy.shape[2] - cols.padBefore + cols.count - 1;
    const { input, pads } = cropForNegativePads(calls, dy, rows.padBefore, padAfterH, cols.padBefore, padAfterW);
    tmp(input);
    const dx = calls.conv2d(input, filterT, pads);
    if (hIn === outH && wIn === outW) return dx;
    tmp(dx); // pad short phases to the common size
    return calls.pad(dx, [
      [0, 0],
      [0, outH - hIn],
      [0, outW - wIn],
      [0, 0],
    ]);
  });
}

export function conv2dBackpropInput(calls: KernelCalls, dy: Info, filter: Info, attrs: tf.Conv2DBackpropInputAttrs): Info {
  const g = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, attrs.dataFormat);
  const [sh, sw] = [g.strideHeight, g.strideWidth];
  if (winogradApplies(calls, g, dy.shape[3])) return winogradInputGradient(calls, dy, filter, g);
  if (scatterInputGradientApplies(calls, g)) return backpropInputScatter(calls, dy, filter, g);
  if (gemmConvGrads.input && calls.hasHeap && inputGemmPays(g, filter.shape[3])) return backpropInputGemm(calls, dy, filter, g);
  const rowPhases = Array.from({ length: sh }, (_, a) => phaseTaps(a, sh, g.filterHeight, g.padTop, g.inHeight));
  const colPhases = Array.from({ length: sw }, (_, b) => phaseTaps(b, sw, g.filterWidth, g.padLeft, g.inWidth));
  if (sh === 1 && sw === 1) return phaseGradient(calls, dy, filter, g, rowPhases[0], colPhases[0], g.inHeight, g.inWidth);
  const outH = rowPhases[0].outSize,
    outW = colPhases[0].outSize;
  return calls.scoped((tmp) => {
    // [n, outH, sh, outW, sw, ci] holds dx[n, s*i + a, s*j + b] at [n, i, a, j, b].
    const rows = rowPhases.map((rp) => {
      const cols = colPhases.map((cp) => tmp(phaseGradient(calls, dy, filter, g, rp, cp, outH, outW)));
      return tmp(sw === 1 ? calls.reshape(cols[0], [...cols[0].shape.slice(0, 3), 1, g.inChannels]) : calls.run("Pack", cols, { axis: 3 }));
    });
    const interleaved = tmp(
      sh === 1 ? calls.reshape(rows[0], [g.batch, outH, 1, outW, sw, g.inChannels]) : calls.run("Pack", rows, { axis: 2 }),
    );
    const full = tmp(calls.reshape(interleaved, [g.batch, outH * sh, outW * sw, g.inChannels]));
    if (outH * sh === g.inHeight && outW * sw === g.inWidth) return calls.reshape(full, full.shape);
    return calls.slice(full, [0, 0, 0, 0], [g.batch, g.inHeight, g.inWidth, g.inChannels]);
  });
}
