// Winograd F(2x2, 3x3) on wasm (wasm-kernels/winograd-conv.ts): the 3x3 stride-1 forward
// convolution, input gradient and filter gradient against float64 sums, in both builds of
// our GEMM kernels, at every kind of edge (odd sizes, one pixel, pads of 0 to 3 on any
// side, so that the input gradient's pads go negative); that Conv2D and both gradients
// reach it exactly where it applies; and that its results are the same bits on 1, 2 and 3
// threads (separate processes: the thread count is fixed when the backend starts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { type ConvGeometry, convGeometry } from "../../src/tfjs/wasm-kernels/conv-geometry";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";
import * as winograd from "../../src/tfjs/wasm-kernels/winograd-conv";
import { simdKernelChoice } from "../../src/tfjs/wasm-simd/load";
import { assertSameBits } from "../helpers/assert-close";
import { randomArray } from "../helpers/random-array";

type Pads = [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: "same" | "valid" | Pads;
}
const explicit = (t: number, b: number, l: number, r: number): Pads => [
  [0, 0],
  [t, b],
  [l, r],
  [0, 0],
];
const CASES: Case[] = [
  { n: 2, h: 8, w: 8, ci: 4, co: 4, pad: "same" },
  { n: 1, h: 7, w: 5, ci: 8, co: 12, pad: "same" }, // odd sizes: half tiles at the bottom and right
  { n: 3, h: 9, w: 9, ci: 16, co: 8, pad: "valid" },
  { n: 2, h: 5, w: 6, ci: 4, co: 4, pad: explicit(2, 0, 0, 1) },
  { n: 1, h: 2, w: 2, ci: 4, co: 8, pad: explicit(3, 3, 3, 3) }, // output larger than the input; dx's pads are -1
  { n: 1, h: 1, w: 1, ci: 4, co: 4, pad: "same" }, // one pixel
  { n: 2, h: 3, w: 3, ci: 8, co: 16, pad: "valid" }, // one output pixel per image
  { n: 2, h: 12, w: 11, ci: 20, co: 24, pad: explicit(0, 2, 1, 0) },
];
const label = (c: Case) => `n${c.n} ${c.h}x${c.w}x${c.ci}->${c.co} ${JSON.stringify(c.pad)}`;

const calls = () => new KernelCalls(tf.backend() as unknown as KernelBackendLike, "wasm");
before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
});
after(() => {
  delete simdKernelChoice.fused;
});

/** y, dx and dW of one case in float64: the direct sums, over the same float32 inputs. */
function reference(g: ConvGeometry, co: number, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow, padTop: pt, padLeft: pl } = g;
  const y = new Float64Array(N * oh * ow * co),
    dx = new Float64Array(N * H * W * C),
    dw = new Float64Array(9 * C * co);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const [yy, xx] = [oy + i - pt, ox + j - pl];
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            for (let c = 0; c < C; c++)
              for (let o = 0; o < co; o++) {
                const [xi, wi, yi] = [((n * H + yy) * W + xx) * C + c, ((i * 3 + j) * C + c) * co + o, ((n * oh + oy) * ow + ox) * co + o];
                y[yi] += x[xi] * w[wi];
                dx[xi] += dy[yi] * w[wi];
                dw[wi] += x[xi] * dy[yi];
              }
          }
  return { y, dx, dw };
}

/** Within 1e-5 of the reference's largest magnitude (the direct kernels reach about 1e-7, F(2x2, 3x3) a few times that). */
function assertNear(actual: Float32Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1e-30,
    worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(worst <= 1e-5 * scale, `${what}: max |winograd - float64| = ${worst} (scale ${scale})`);
}

function runCase(c: Case) {
  const g = convGeometry([c.n, c.h, c.w, c.ci], [3, 3, c.ci, c.co], 1, c.pad, undefined, false, "NHWC");
  const x = randomArray(c.n * c.h * c.w * c.ci, 1),
    w = randomArray(9 * c.ci * c.co, 2),
    dy = randomArray(c.n * g.outHeight * g.outWidth * c.co, 3);
  const k = calls();
  const [xt, wt, dyt] = [
    tf.tensor4d(x, [c.n, c.h, c.w, c.ci]),
    tf.tensor4d(w, [3, 3, c.ci, c.co]),
    tf.tensor4d(dy, [c.n, g.outHeight, g.outWidth, c.co]),
  ];
  assert.ok(winograd.winogradApplies(k, g, c.co), `${label(c)}: Winograd applies`);
  const read = (info: tf.TensorInfo) => {
    const values = Float32Array.from(k.heap(info));
    k.free(info);
    return values;
  };
  const out = {
    y: read(winograd.winogradConv2d(k, xt, wt, g)),
    dx: read(winograd.winogradInputGradient(k, dyt, wt, g)),
    dw: read(winograd.winogradFilterGradient(k, xt, dyt, g)),
  };
  tf.dispose([xt, wt, dyt]);
  return { out, ref: reference(g, c.co, x, w, dy) };
}

for (const fused of [false, true])
  for (const c of CASES)
    test(`Winograd ${fused ? "fused multiply-add" : "SIMD128"} build, ${label(c)}: y, dx and dW agree with float64 sums`, () => {
      simdKernelChoice.fused = fused;
      const { out, ref } = runCase(c);
      assertNear(out.y, ref.y, "y");
      assertNear(out.dx, ref.dx, "dx");
      assertNear(out.dw, ref.dw, "dW");
    });

test("Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter reach Winograd for 3x3 stride 1 with channels in 4s, and only there", () => {
  delete simdKernelChoice.fused;
  // The registered kernels call the module's exports at call time, so counting wrappers see every call.
  const exports = winograd as unknown as Record<string, (...args: unknown[]) => unknown>;
  const names = ["winogradConv2d", "winogradInputGradient", "winogradFilterGradient"];
  const counts: Record<string, number> = {};
  const originals = names.map((name) => exports[name]);
  names.forEach((name, i) => {
    exports[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return originals[i](...args);
    };
  });
  const stepOf = (shape: number[], filter: number[], stride: number) =>
    tf.tidy(() => {
      const x = tf.randomNormal(shape),
        w = tf.randomNormal(filter);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, "same"))),
      )([x, w]);
      return [dx.shape, dw.shape];
    });
  const reached = (shape: number[], filter: number[], stride: number) => {
    for (const name of names) counts[name] = 0;
    stepOf(shape, filter, stride);
    return names.map((name) => counts[name]);
  };
  try {
    assert.deepEqual(reached([2, 10, 10, 16], [3, 3, 16, 32], 1), [1, 1, 1], "3x3 stride 1, 16 -> 32");
    assert.deepEqual(reached([2, 10, 10, 16], [3, 3, 16, 32], 2), [0, 0, 0], "stride 2");
    assert.deepEqual(reached([2, 10, 10, 16], [1, 1, 16, 32], 1), [0, 0, 0], "1x1");
    assert.deepEqual(reached([2, 10, 10, 6], [3, 3, 6, 32], 1), [0, 0, 0], "6 input channels");
    assert.deepEqual(reached([2, 10, 10, 16], [3, 3, 16, 30], 1), [0, 0, 0], "30 output channels");
    winograd.winogradConv.enabled = false;
    assert.deepEqual(reached([2, 10, 10, 16], [3, 3, 16, 32], 1), [0, 0, 0], "switched off");
  } finally {
    winograd.winogradConv.enabled = true;
    names.forEach((name, i) => (exports[name] = originals[i]));
  }
});

test("TFJS_LAB_WINOGRAD=0 turns Winograd off for the process; unset, it is on", () => {
  const script = `console.log(require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/winograd-conv"))}).winogradConv.enabled)`;
  const enabled = (value: string | undefined) => {
    const env = { ...process.env };
    delete env.TFJS_LAB_WINOGRAD;
    if (value !== undefined) env.TFJS_LAB_WINOGRAD = value;
    return execFileSync(process.execPath, ["-e", script], { env, encoding: "utf8" }).trim();
  };
  assert.equal(enabled("0"), "false");
  assert.equal(enabled(undefined), "true");
  assert.equal(enabled("1"), "true");
});

test("Winograd convolutions give the same bits on 1, 2 and 3 threads, and blocks of any size the same values", () => {
  // Many blocks and parts: 2 images of 30x26 in blocks of 8 tiles, every job split.
  const script = `
    const tf = require("@tensorflow/tfjs");
    const lab = require(${JSON.stringify(require.resolve("../../src/index"))});
    const { convThreads } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/run-conv-job"))});
    const { winogradConv } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/winograd-conv"))});
    const { filterImageChunks } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv-job"))});
    convThreads.minFlopsPerPart = 0;
    Object.assign(filterImageChunks, { minFlops: 0, minPixels: 0 });
    const tiles = Number(process.env.BLOCK_TILES);
    Object.assign(winogradConv, { minBlockTiles: tiles, maxBlockTiles: tiles });
    (async () => {
      const report = await lab.initBackend({ prefer: "wasm" });
      const [y, dx, dw] = tf.tidy(() => {
        const x = tf.randomNormal([2, 30, 26, 12], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 12, 16], 0, 1, "float32", 2);
        const f = (a, b) => tf.conv2d(a, b, 1, "same");
        const r = tf.randomNormal([2, 30, 26, 16], 0, 1, "float32", 3);
        const [gx, gw] = tf.grads((a, b) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
        return [f(x, w), gx, gw];
      });
      console.log(JSON.stringify({ threads: report.threads, y: Array.from(await y.data()), dx: Array.from(await dx.data()), dw: Array.from(await dw.data()) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const run = (threads: number, blockTiles = 8) =>
    JSON.parse(
      execFileSync(process.execPath, ["-e", script], {
        env: { ...process.env, TFJS_LAB_WASM_THREADS: String(threads), BLOCK_TILES: String(blockTiles) },
        encoding: "utf8",
      })
        .trim()
        .split("\n")
        .at(-1)!,
    ) as { threads: number; y: number[]; dx: number[]; dw: number[] };
  const [one, two, three, bigBlocks] = [run(1), run(2), run(3), run(1, 256)];
  assert.deepEqual([one.threads, two.threads, three.threads], [1, 2, 3], "the thread counts asked for");
  for (const key of ["y", "dx", "dw"] as const) {
    assertSameBits(Float32Array.from(two[key]), Float32Array.from(one[key]), `${key}: 2 threads vs 1`);
    assertSameBits(Float32Array.from(three[key]), Float32Array.from(one[key]), `${key}: 3 threads vs 1`);
  }
  // Every value is summed in the same order whatever the blocks: y and dx within one tile, dW tile after tile.
  assertSameBits(Float32Array.from(bigBlocks.y), Float32Array.from(one.y), "y: blocks of 256 tiles vs 8");
  assertSameBits(Float32Array.from(bigBlocks.dx), Float32Array.from(one.dx), "dx: blocks of 256 tiles vs 8");
  assertSameBits(Float32Array.from(bigBlocks.dw), Float32Array.from(one.dw), "dW: blocks of 256 tiles vs 8");
});
