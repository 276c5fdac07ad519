// The WebAssembly text of ReLU after a per-channel affine map, batch norm's, in one pass each
// way (z = x * factor + bias):
//   channelAffineRelu(x, factor, bias, out, count, rowBytes)          out = max(z, 0)
//   channelAffineReluGrad(dy, x, factor, bias, out, count, rowBytes)  out = dy * (z > 0 ? 1 : 0)
// the same as FusedBatchNorm then Relu, and Relu's gradient as TensorFlow.js composes it
// (dy times Step of z), for finite values; NaN in z stays NaN forward (max propagates it) as
// in PyTorch. Every PaddleClas ConvBNLayer and the bench's small classifier run batch norm
// then ReLU: composed, that was four more full passes per layer than these (Relu forward;
// Step and a Multiply backward) and the batch norm's output kept for the backward pass.
import { channelAffineInput, elementwise, type Group } from "./elementwise-wat";

const CONSTANTS = { zero: 0, one: 1 };

const storeRelu = ({ get, op, c, store }: Group) => [store("out", op("max", get("z"), c("zero")))];

/** Step(z) as 1 or 0: the comparison's mask and-ed with 1 in vectors, a select in the tail. */
const step = ({ kind, get, c }: Group) =>
  kind === "f32x4"
    ? `(v128.and (f32x4.gt ${get("z")} ${c("zero")}) ${c("one")})`
    : `(select ${c("one")} ${c("zero")} (f32.gt ${get("z")} ${c("zero")}))`;

const storeReluGrad = (g: Group) => [g.store("out", g.op("mul", g.load("dy"), step(g)))];

export function reluFunctions(): string {
  const kernel = (name: string, params: string[], finish: (g: Group) => string[]) =>
    elementwise({
      name,
      params,
      locals: ["z"],
      constants: CONSTANTS,
      steps: (g) => [g.set("z", channelAffineInput(g)), ...finish(g)],
      perChannel: true,
    });
  return [
    kernel("channelAffineRelu", ["x", "factor", "bias", "out"], storeRelu),
    kernel("channelAffineReluGrad", ["dy", "x", "factor", "bias", "out"], storeReluGrad),
  ].join("\n");
}
