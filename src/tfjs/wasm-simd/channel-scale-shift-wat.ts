// The WebAssembly text of a per-channel affine map over NHWC rows of c channels (c a
// multiple of 4), as wasm-kernels/channel-affine.ts uses it for batch norm's forward pass and
// for Mul/Add/Sub/Div by a channel vector:
//   channelScaleShift: out = x * factor[ch] + bias[ch]
// XNNPACK's 1x1 depthwise convolution did this before, but on the threaded build it ran
// slower with 2 threads than with 1 (17 ms of a YOLOv5n step on 1, 31 on 2); this one runs
// in parts of rows on our kernel threads.
import { channel, perChannelRows, value } from "./per-channel-rows-wat";

export function channelScaleShiftFunctions(): string {
  return perChannelRows(
    "channelScaleShift",
    ["x", "factor", "bias", "out"],
    `(f32x4.add (f32x4.mul ${value("x")} ${channel("factor")}) ${channel("bias")})`,
  );
}
