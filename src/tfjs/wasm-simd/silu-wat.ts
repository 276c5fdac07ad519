// The WebAssembly text of SiLU, y = x * sigmoid(x), and of its gradient,
//   dx = dy * s * (1 + x * (1 - s)),  s = sigmoid(x)  (PyTorch's formula),
// each in one pass that computes sigmoid itself. Composed from tfjs ops the forward pass was
// a Sigmoid and a Multiply, and the backward pass a Sigmoid again (only x is saved, as in
// PyTorch) and a gradient kernel: four full passes over a YOLOv5 activation where these are
// two. In a YOLOv5n step the stock Sigmoid alone took about a tenth of the time.
//
// sigmoid(x) = 1 / (1 + exp(-x)), exp as in Cephes' expf (about 1 ulp): t = -x clamped to
// [-87.3, 89.5]; n = round(t / ln 2), read off the low bits of t / ln 2 + 1.5 * 2^23; r =
// t - n ln 2 in two parts; exp(r) = p(r), a degree-7 polynomial; exp(t) = 2p * 2^(n-1), with
// 2^(n-1) built in the exponent bits, so that it is finite up to float32's largest value and
// overflows to infinity where exp(t) does. At the clamps 2^(n-1) is 0 (n = -126; 1 + exp(t)
// is 1 from t = -17 anyway) or infinity (n = 129), so s is 1 or 0 there, as the stock kernel
// gives. NaN stays NaN: the clamps keep it (pmin/pmax with it first; min/max propagate it).
// Every operation is IEEE single precision and the same in the vector and the scalar loops,
// so a value's result does not depend on where it falls: parts on kernel threads give the
// one-thread bits.
//
// The loops are elementwise-wat.ts's: GROUPS vectors at once, step by step (one vector's chain
// of some thirty dependent operations left the core waiting on latency: 2.3 ns a value; 0.9 ns
// with 8 interleaved).
import { channelAffineInput, elementwise, type Group } from "./elementwise-wat";

const CONSTANTS = {
  one: 1,
  two: 2,
  low: -87.3,
  high: 89.5,
  log2e: Math.LOG2E,
  roundingShift: 12582912, // 1.5 * 2^23: adding it rounds to an integer, in the low mantissa bits
  ln2Hi: 0.693359375,
  ln2Lo: -2.1219444e-4,
  p0: 1.98756915e-4,
  p1: 1.3981999507e-3,
  p2: 8.3334519073e-3,
  p3: 4.1665795894e-2,
  p4: 1.6666665459e-1,
  p5: 5.0000001201e-1,
};
/** The bits of 1.5 * 2^23 less 126: subtracted from the bits of t / ln 2 + 1.5 * 2^23, n - 1 + 127. */
const EXPONENT_OFFSET = 0x4b400000 - 126;

const POLYNOMIAL = ["p1", "p2", "p3", "p4", "p5"] as const;

/** The statements that leave the input value in $v and sigmoid of it in $s. */
function sigmoidSteps({ kind, get, set, op, c }: Group, input: string): string[] {
  const [min, max] = kind === "f32x4" ? ["pmin", "pmax"] : ["min", "max"];
  const twoToNMinus1 =
    kind === "f32x4"
      ? `(i32x4.shl (i32x4.sub ${get("k")} (v128.const i32x4 ${EXPONENT_OFFSET} ${EXPONENT_OFFSET} ${EXPONENT_OFFSET} ${EXPONENT_OFFSET})) (i32.const 23))`
      : `(f32.reinterpret_i32 (i32.shl (i32.sub (i32.reinterpret_f32 ${get("k")}) (i32.const ${EXPONENT_OFFSET})) (i32.const 23)))`;
  return [
    set("v", input),
    set("t", op(min, op(max, op("neg", get("v")), c("low")), c("high"))),
    set("k", op("add", op("mul", get("t"), c("log2e")), c("roundingShift"))),
    set("n", op("sub", get("k"), c("roundingShift"))),
    set("r", op("sub", op("sub", get("t"), op("mul", get("n"), c("ln2Hi"))), op("mul", get("n"), c("ln2Lo")))),
    set("e", c("p0")),
    ...POLYNOMIAL.map((p) => set("e", op("add", op("mul", get("e"), get("r")), c(p)))),
    set("e", op("add", op("add", op("mul", op("mul", get("e"), get("r")), get("r")), get("r")), c("one"))),
    set("e", op("mul", op("mul", get("e"), c("two")), twoToNMinus1)),
    set("s", op("div", c("one"), op("add", c("one"), get("e")))),
  ];
}

const LOCALS = ["v", "t", "k", "n", "r", "e", "s"];

const storeSilu = ({ get, op, store }: Group) => [store("out", op("mul", get("v"), get("s")))];
const storeSiluGrad = ({ get, op, c, load, store }: Group) => [
  store("out", op("mul", op("mul", load("dy"), get("s")), op("add", c("one"), op("mul", get("v"), op("sub", c("one"), get("s")))))),
];
/**
 * The exported `silu(x, out, count)` and `siluGrad(dy, x, out, count)`, and the same of a
 * per-channel affine map of x, batch norm's, fused in front (z = x * factor + bias):
 * `channelAffineSilu(x, factor, bias, out, count, rowBytes)` stores silu(z) and
 * `channelAffineSiluGrad(dy, x, factor, bias, out, count, rowBytes)` the SiLU gradient at z,
 * the same bits as channelScaleShift then silu or siluGrad. Byte addresses, `count` floats.
 */
export function siluFunctions(): string {
  const x = ({ load }: Group) => load("x");
  const kernel = (name: string, params: string[], input: (g: Group) => string, finish: (g: Group) => string[], perChannel = false) =>
    elementwise({
      name,
      params,
      locals: LOCALS,
      constants: CONSTANTS,
      steps: (g) => [...sigmoidSteps(g, input(g)), ...finish(g)],
      perChannel,
    });
  return [
    kernel("silu", ["x", "out"], x, storeSilu),
    kernel("siluGrad", ["dy", "x", "out"], x, storeSiluGrad),
    kernel("channelAffineSilu", ["x", "factor", "bias", "out"], channelAffineInput, storeSilu, true),
    kernel("channelAffineSiluGrad", ["dy", "x", "factor", "bias", "out"], channelAffineInput, storeSiluGrad, true),
  ].join("\n");
}
