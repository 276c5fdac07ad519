// The composed wasm gradient kernels against the cpu backend's reference kernels, through
// the same gradient functions training uses (tf.grads of conv2d / depthwiseConv2d).
import { test, before } from "node:test";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";
import { type ConvCase as Case, convCaseLabel, convGradients as convGrads, type Pad } from "../helpers/conv-gradients";

const explicit: Pad = [
  [0, 0],
  [1, 0],
  [2, 1],
  [0, 0],
];
const convCases: Case[] = [
  {
    n: 4,
    h: 24,
    w: 20,
    ci: 16,
    co: 24,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  }, // big enough to split across threads
  { n: 1, h: 8, w: 8, ci: 3, co: 16, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 3, co: 4, k: 3, s: 2, pad: "same" },
  { n: 2, h: 9, w: 9, ci: 16, co: 8, k: 3, s: 2, pad: "valid" },
  { n: 3, h: 7, w: 10, ci: 1, co: 3, k: 3, s: 1, pad: "valid" },
  { n: 2, h: 11, w: 11, ci: 4, co: 16, k: 5, s: 2, pad: "same" },
  { n: 2, h: 8, w: 6, ci: 16, co: 16, k: 1, s: 1, pad: "valid" },
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: 1, s: 2, pad: "same" },
  { n: 2, h: 10, w: 8, ci: 3, co: 4, k: 6, s: 2, pad: "same" },
  { n: 2, h: 8, w: 9, ci: 3, co: 2, k: 3, s: 1, pad: explicit },
  { n: 1, h: 9, w: 8, ci: 2, co: 3, k: 3, s: 2, pad: explicit },
];
const depthwiseCases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 1, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 16, co: 1, k: 3, s: 2, pad: "same" },
  { n: 1, h: 9, w: 9, ci: 4, co: 2, k: 3, s: 2, pad: "valid" },
  { n: 3, h: 6, w: 7, ci: 1, co: 3, k: 5, s: 1, pad: "same" },
  { n: 2, h: 8, w: 9, ci: 3, co: 1, k: 3, s: 1, pad: explicit },
];

before(async () => {
  // The default path: wasm as initBackend starts it (threaded where there are cores).
  await switchBackend("wasm");
  registerWasmKernels();
});

for (const [kind, cases] of [
  ["conv2d", convCases],
  ["depthwiseConv2d", depthwiseCases],
] as const) {
  for (const c of cases) {
    const label = `${kind} ${convCaseLabel(c)}`;
    test(`${label}: wasm gradients match cpu to 1e-4`, async () => {
      const reference = await convGrads("cpu", c, kind === "depthwiseConv2d");
      const ours = await convGrads("wasm", c, kind === "depthwiseConv2d");
      assertClose(ours.dx, reference.dx, `${label} dx`);
      assertClose(ours.dw, reference.dw, `${label} dw`);
    });
  }
}
