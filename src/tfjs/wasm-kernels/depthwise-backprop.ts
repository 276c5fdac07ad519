// The two depthwise-convolution gradients wasm lacks (NHWC, dilation 1, channel multiplier m).
import type * as tf from "@tensorflow/tfjs";
import { convGeometry } from "./conv-geometry";
import type { Info, KernelCalls } from "./kernel-calls";
import { cropForNegativePads, spreadWithZeros } from "./upsample-zeros";

/**
 * dx = depthwise conv of dy (spread onto the input grid) with the flipped filter. With
 * m > 1 every output channel c*m+k convolves on its own and the m results of a channel add up.
 */
export function depthwiseBackpropInput(
  calls: KernelCalls,
  dy: Info,
  filter: Info,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
): Info {
  const g = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, true, undefined);
  const [kh, kw, channels, multiplier] = filter.shape;
  return calls.scoped((tmp) => {
    const flipped = tmp(calls.reverse(filter, [0, 1]));
    const perOutputChannel = tmp(calls.reshape(flipped, [kh, kw, channels * multiplier, 1]));
    const spread = tmp(spreadWithZeros(calls, dy, g.strideHeight, g.strideWidth));
    const top = kh - 1 - g.padTop;
    const left = kw - 1 - g.padLeft;
    const bottom = g.inHeight + kh - 1 - top - spread.shape[1];
    const right = g.inWidth + kw - 1 - left - spread.shape[2];
    const { input, pads } = cropForNegativePads(calls, spread, top, bottom, left, right);
    tmp(input);
    const dx = calls.depthwiseConv2d(input, perOutputChannel, pads);
    if (multiplier === 1) return dx;
    tmp(dx);
    const split = tmp(calls.reshape(dx, [g.batch, g.inHeight, g.inWidth, channels, multiplier]));
    return calls.sum(split, [4]);
  });
}

/**
 * dW[i,j,c,k] = sum over batch and output positions of x at tap (i,j) times dy: one
 * strided slice, multiply and reduction per tap (kh*kw passes over dy-sized data).
 */
export function depthwiseBackpropFilter(calls: KernelCalls, x: Info, dy: Info, attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs): Info {
  const g = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode, true, undefined);
  const [kh, kw, channels, multiplier] = attrs.filterShape;
  return calls.scoped((tmp) => {
    const needH = (g.outHeight - 1) * g.strideHeight + kh;
    const needW = (g.outWidth - 1) * g.strideWidth + kw;
    const { input, pads } = cropForNegativePads(
      calls,
      x,
      g.padTop,
      needH - g.inHeight - g.padTop,
      g.padLeft,
      needW - g.inWidth - g.padLeft,
    );
    tmp(input);
    const padded = tmp(calls.pad(input, pads));
    const dyPerChannel = multiplier === 1 ? dy : tmp(calls.reshape(dy, [g.batch, g.outHeight, g.outWidth, channels, multiplier]));
    const taps: Info[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let tap = tmp(
          calls.run(
            "StridedSlice",
            { x: padded },
            {
              begin: [0, i, j, 0],
              end: [g.batch, i + (g.outHeight - 1) * g.strideHeight + 1, j + (g.outWidth - 1) * g.strideWidth + 1, channels],
              strides: [1, g.strideHeight, g.strideWidth, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          ),
        );
        if (multiplier > 1) tap = tmp(calls.reshape(tap, [g.batch, g.outHeight, g.outWidth, channels, 1]));
        const product = tmp(calls.run("Multiply", { a: tap, b: dyPerChannel }));
        taps.push(tmp(calls.sum(product, [0, 1, 2]))); // [c] or [c, m]
      }
    }
    const stacked = tmp(calls.run("Pack", taps, { axis: 0 }));
    return calls.reshape(stacked, [kh, kw, channels, multiplier]);
  });
}
