// Conv2DBackpropInput for wasm as a forward Conv2D (XNNPACK) instead of wasm's own direct
// loop, its slowest kernel in a YOLOv5 step: dx is dy spread onto the input grid
// (zeros between rows/columns for stride > 1), convolved with the spatially flipped
// filter whose in/out channels are swapped.
import * as tf from "@tensorflow/tfjs";
import { convGeometry } from "./conv-geometry";
import { Info, KernelCalls } from "./kernel-calls";
import { cropForNegativePads, spreadWithZeros } from "./upsample-zeros";

export function conv2dBackpropInput(calls: KernelCalls, dy: Info, filter: Info, attrs: tf.Conv2DBackpropInputAttrs): Info {
  const g = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, false, attrs.dataFormat);
  return calls.scoped((tmp) => {
    const flipped = g.filterHeight > 1 || g.filterWidth > 1 ? tmp(calls.reverse(filter, [0, 1])) : filter;
    const filterT = tmp(calls.transpose(flipped, [0, 1, 3, 2]));        // [kh, kw, co, ci]
    const spread = tmp(spreadWithZeros(calls, dy, g.strideHeight, g.strideWidth));
    // Output row r of dx reads spread rows r - (kh-1-pt) .. r + pt.
    const top = g.filterHeight - 1 - g.padTop;
    const left = g.filterWidth - 1 - g.padLeft;
    const bottom = g.inHeight + g.filterHeight - 1 - top - spread.shape[1];
    const right = g.inWidth + g.filterWidth - 1 - left - spread.shape[2];
    const { input, pads } = cropForNegativePads(calls, spread, top, bottom, left, right);
    tmp(input);
    return calls.conv2d(input, filterT, pads);
  });
}
