// Our forward convolution on wasm (conv2d-forward-rows.ts) against the cpu backend to 1e-4:
// every tile shape and remainder, image edges, strides above and below the filter, one output
// row per call; output channels not a multiple of 4 (Detect's 255, through a padded filter);
// and the cases it hands back to XNNPACK (dilation, the plain SIMD128 build, too little depth
// per pixel), which must still match.
// Several cases have little depth, so the depth threshold is lowered for them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { rowConvForward, rowConvForwardApplies, conv2dRowsGeometry } from "../../src/tfjs/wasm-kernels/conv2d-forward-rows";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";
import { simdKernelChoice } from "../../src/tfjs/wasm-simd/load";
import { winogradConv } from "../../src/tfjs/wasm-kernels/winograd-conv";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";
import { type ConvCase as Case, convCaseLabel as label } from "../helpers/conv-gradients";
import { randomArray } from "../helpers/random-array";

const calls = () => new KernelCalls(tf.backend() as unknown as KernelBackendLike, "wasm");
const defaults = { ...rowConvForward };
before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
  simdKernelChoice.fused = true;
  rowConvForward.minDepth = 0;
  // The direct kernel on every shape here: 3x3 stride 1 would otherwise go to Winograd (wasm-winograd.test.ts).
  winogradConv.enabled = false;
});
after(() => {
  Object.assign(rowConvForward, defaults);
  delete simdKernelChoice.fused;
  winogradConv.enabled = true;
});

/** conv2d(x, w) of seeded x and w on `backend`; `dilation` 1 unless given. */
async function forward(backend: string, c: Case, dilation = 1): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(randomArray(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]);
    return tf.conv2d(x, w, c.s, c.pad, "NHWC", dilation).dataSync() as Float32Array;
  });
}

/** Whether our kernel takes `c` on the wasm backend as it is now. */
function taken(c: Case, dilation = 1): boolean {
  const info = (shape: number[]) => ({ shape, dtype: "float32", dataId: {} }) as tf.TensorInfo;
  const g = conv2dRowsGeometry(info([c.n, c.h, c.w, c.ci]), info([c.k, c.k, c.ci, c.co]), {
    strides: c.s,
    pad: c.pad,
    dataFormat: "NHWC",
    dilations: dilation,
  } as tf.Conv2DAttrs);
  return g !== undefined && rowConvForwardApplies(calls(), g);
}

const cases: Case[] = [
  { n: 2, h: 9, w: 7, ci: 5, co: 8, k: 3, s: 1, pad: "same" }, // 8 columns, 7 pixels: 4 + 1 + 1 + 1 a row
  { n: 2, h: 9, w: 11, ci: 3, co: 12, k: 3, s: 2, pad: "same" }, // 8 + 4 columns
  { n: 2, h: 9, w: 11, ci: 8, co: 4, k: 3, s: 1, pad: "valid" }, // one vector of columns, no edges
  {
    n: 2,
    h: 13,
    w: 13,
    ci: 3,
    co: 16,
    k: 6,
    s: 2,
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  }, // YOLOv5's stem
  {
    n: 2,
    h: 10,
    w: 10,
    ci: 16,
    co: 32,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  }, // YOLOv5's downsampling
  {
    n: 1,
    h: 9,
    w: 8,
    ci: 4,
    co: 4,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 1],
      [0, 0],
    ],
  }, // asymmetric
  {
    n: 2,
    h: 6,
    w: 10,
    ci: 2,
    co: 4,
    k: 3,
    s: 1,
    pad: [
      [0, 0],
      [0, 0],
      [2, 0],
      [0, 0],
    ],
  }, // left padding only
  { n: 2, h: 5, w: 2, ci: 4, co: 8, k: 3, s: 1, pad: "same" }, // narrower than the filter: edges only
  { n: 3, h: 9, w: 9, ci: 4, co: 4, k: 2, s: 3, pad: "valid" }, // stride above the filter
  { n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, s: 2, pad: "same" }, // strided 1x1
  { n: 2, h: 5, w: 6, ci: 64, co: 24, k: 1, s: 1, pad: "valid" }, // 1x1: one GEMM
  { n: 2, h: 7, w: 9, ci: 12, co: 255, k: 1, s: 1, pad: "valid" }, // Detect's 255: padded to 256 and sliced
  { n: 2, h: 8, w: 7, ci: 8, co: 6, k: 3, s: 2, pad: "same" }, // 6 channels: padded to 8
];

for (const c of cases) {
  test(`row-product Conv2D, ${label(c)}: taken, matches cpu to 1e-4`, async () => {
    const reference = await forward("cpu", c);
    await tf.setBackend("wasm");
    assert.equal(taken(c), true);
    assertClose(await forward("wasm", c), reference, label(c));
  });
  test(`row-product Conv2D, one output row per call, ${label(c)}: matches cpu to 1e-4`, async () => {
    const reference = await forward("cpu", c);
    rowConvForward.chunkBytes = 1;
    try {
      assertClose(await forward("wasm", c), reference, label(c));
    } finally {
      Object.assign(rowConvForward, defaults, { minDepth: 0 });
    }
  });
}

test("handed back to XNNPACK, still matching cpu: dilation 2, the plain SIMD128 build, switched off", async () => {
  const dilated: Case = { n: 2, h: 11, w: 11, ci: 4, co: 8, k: 3, s: 1, pad: "same" };
  const plain = cases[4];
  await tf.setBackend("wasm");
  assert.equal(taken(dilated, 2), false, "dilation");
  simdKernelChoice.fused = false;
  rowConvForward.enabled = true;
  try {
    assert.equal(taken(plain), false, "without fused multiply-adds XNNPACK is as fast");
  } finally {
    simdKernelChoice.fused = true;
  }
  rowConvForward.enabled = false;
  try {
    assert.equal(taken(plain), false, "switched off");
  } finally {
    Object.assign(rowConvForward, defaults);
  }
  // The bench's small classifier's first layer: 3x3 over 3 channels, 9 products per filter row.
  const shallow: Case = {
    n: 2,
    h: 64,
    w: 64,
    ci: 3,
    co: 16,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  };
  assert.equal(taken(shallow), false, "little depth per pixel");
  assert.equal(taken({ ...shallow, k: 6 }), true, "YOLOv5's stem, 6x6 over 3 channels");
  rowConvForward.minDepth = 0;
  const reference = await forward("cpu", dilated, 2);
  assertClose(await forward("wasm", dilated, 2), reference, `${label(dilated)} dilation 2`);
});
