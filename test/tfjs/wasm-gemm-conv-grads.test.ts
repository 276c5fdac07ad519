// The GEMM forms of the wasm convolution gradients (im2col / col2im around one XNNPACK
// product, gemm-conv-grads.ts) against the cpu backend, to 1e-4: forced on every case, on
// the shapes where the default rules pick them, and cut into groups of images. Our SIMD
// gradients, which the wasm backend takes first, are switched off here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { gemmConvGrads, filterGemmPays, inputGemmPays } from "../../src/tfjs/wasm-kernels/gemm-conv-grads";
import { outerFilterGradient } from "../../src/tfjs/wasm-kernels/conv2d-backprop-filter-outer";
import { scatterInputGradient } from "../../src/tfjs/wasm-kernels/conv2d-backprop-input-scatter";
import { convGeometry } from "../../src/tfjs/wasm-kernels/conv-geometry";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";
import { type ConvCase as Case, convCaseLabel as label, convGradients as convGrads, type Pad } from "../helpers/conv-gradients";

const explicit: Pad = [
  [0, 0],
  [2, 1],
  [0, 1],
  [0, 0],
];
const cases: Case[] = [
  { n: 2, h: 9, w: 7, ci: 5, co: 6, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 5, co: 6, k: 3, s: 2, pad: "same" },
  { n: 2, h: 9, w: 11, ci: 4, co: 3, k: 3, s: 1, pad: "valid" },
  { n: 3, h: 11, w: 9, ci: 3, co: 7, k: 3, s: 2, pad: "valid" },
  { n: 2, h: 8, w: 8, ci: 6, co: 4, k: 3, s: 2, pad: "same" },
  { n: 2, h: 7, w: 9, ci: 12, co: 5, k: 1, s: 1, pad: "valid" }, // 1x1, dy narrower
  { n: 2, h: 7, w: 9, ci: 3, co: 10, k: 1, s: 1, pad: "same" }, // 1x1, x narrower
  { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 1, s: 2, pad: "same" }, // 1x1 strided: im2col
  {
    n: 2,
    h: 13,
    w: 13,
    ci: 3,
    co: 4,
    k: 6,
    s: 2,
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  }, // YOLOv5's stem
  { n: 1, h: 9, w: 8, ci: 2, co: 3, k: 3, s: 2, pad: explicit },
  { n: 2, h: 6, w: 10, ci: 3, co: 4, k: 3, s: 1, pad: explicit },
];
// Shapes the default rules send down the GEMM forms (wide dy: 128+ channels, 64+ for dx when strided).
const picked: Case[] = [
  { n: 2, h: 7, w: 5, ci: 8, co: 128, k: 3, s: 1, pad: "same" },
  { n: 2, h: 9, w: 7, ci: 8, co: 128, k: 3, s: 2, pad: "same" },
  {
    n: 1,
    h: 10,
    w: 10,
    ci: 6,
    co: 64,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { n: 2, h: 7, w: 7, ci: 6, co: 130, k: 3, s: 1, pad: "valid" },
];

const defaults = { ...gemmConvGrads };
before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
});
after(() => {
  Object.assign(gemmConvGrads, defaults);
});

async function check(c: Case, options: Partial<typeof gemmConvGrads>, what: string): Promise<void> {
  const reference = await convGrads("cpu", c);
  Object.assign(gemmConvGrads, defaults, options);
  outerFilterGradient.enabled = false;
  scatterInputGradient.enabled = false;
  try {
    const ours = await convGrads("wasm", c);
    assertClose(ours.dx, reference.dx, `${what} dx`);
    assertClose(ours.dw, reference.dw, `${what} dw`);
  } finally {
    Object.assign(gemmConvGrads, defaults);
    outerFilterGradient.enabled = true;
    scatterInputGradient.enabled = true;
  }
}

for (const c of cases) {
  test(`GEMM forms forced, ${label(c)}: match cpu to 1e-4`, () => check(c, { always: true }, label(c)));
  test(`GEMM forms forced, one output row per product, ${label(c)}: match cpu to 1e-4`, () =>
    check(c, { always: true, maxPack: 1 }, label(c)));
  test(`direct forms, ${label(c)}: match cpu to 1e-4`, () => check(c, { filter: false, input: false }, label(c)));
}
for (const c of picked) {
  test(`default rules, ${label(c)}: take the GEMM forms and match cpu to 1e-4`, async () => {
    const g = convGeometry([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.s, c.pad, undefined, false, undefined);
    assert.equal(filterGemmPays(g, c.co), c.co >= 128, "filter gradient: GEMM form for 128+ channels");
    assert.equal(inputGemmPays(g, c.co), c.co >= (c.s > 1 ? 64 : 128), "input gradient: GEMM form for 128+ channels, 64+ strided");
    await check(c, {}, label(c));
  });
}

test("default rules keep the direct forms where they are faster", () => {
  const g = convGeometry([8, 20, 20, 64], [3, 3, 64, 64], 1, "same", undefined, false, undefined);
  assert.equal(filterGemmPays(g, 64), false);
  assert.equal(inputGemmPays(g, 64), false);
  const pointwise = convGeometry([8, 80, 80, 32], [1, 1, 32, 16], 1, "same", undefined, false, undefined);
  assert.equal(filterGemmPays(pointwise, 16), true);
  const wide = convGeometry([8, 10, 10, 512], [1, 1, 512, 256], 1, "same", undefined, false, undefined);
  assert.equal(inputGemmPays(wide, 256), false);
});
