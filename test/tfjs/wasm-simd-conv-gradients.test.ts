// Our SIMD kernels (wasm-simd/) and the convolution gradients built on them: outerAccumulate
// and rowScatter against plain loops on their own heap layouts, in both builds (plain SIMD128
// and fused multiply-add); the filter gradient
// (conv2d-backprop-filter-outer.ts) and the input gradient (conv2d-backprop-input-scatter.ts)
// against the cpu backend to 1e-4, at image edges, with one output row per call, and the
// cases they must hand to the other forms; and the threaded build's shared memory.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../../src/tfjs/wasm-kernels/register";
import { outerFilterGradient, outerFilterGradientApplies } from "../../src/tfjs/wasm-kernels/conv2d-backprop-filter-outer";
import { scatterInputGradient, scatterInputGradientApplies } from "../../src/tfjs/wasm-kernels/conv2d-backprop-input-scatter";
import { convGeometry } from "../../src/tfjs/wasm-kernels/conv-geometry";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";
import { simdKernelsFor } from "../../src/tfjs/wasm-simd/load";
import { enableRelaxedSimd } from "../../src/tfjs/wasm-simd/relaxed-simd";
import { winogradConv } from "../../src/tfjs/wasm-kernels/winograd-conv";
import { conv2dRows } from "../../src/tfjs/wasm-kernels/conv2d-forward-rows";
import { backpropInputScatter } from "../../src/tfjs/wasm-kernels/conv2d-backprop-input-scatter";
import { switchBackend } from "../../src/tfjs";
import { assertClose, assertSameBits } from "../helpers/assert-close";
import { walkCache } from "../../src/tfjs/wasm-kernels/conv-row-runs";
import { type ConvCase as Case, convCaseLabel as label, convGradients } from "../helpers/conv-gradients";
import { randomArray } from "../helpers/random-array";

const calls = () => new KernelCalls(tf.backend() as unknown as KernelBackendLike, "wasm");
const defaults = { ...outerFilterGradient };
const scatterDefaults = { ...scatterInputGradient };
before(async () => {
  await switchBackend("wasm");
  registerWasmKernels();
  // The direct kernels on every shape here: 3x3 stride 1 would otherwise go to Winograd (wasm-winograd.test.ts).
  winogradConv.enabled = false;
});
after(() => {
  Object.assign(outerFilterGradient, defaults);
  Object.assign(scatterInputGradient, scatterDefaults);
  winogradConv.enabled = true;
});

/** Both builds of the GEMM-like kernels; Node >= 20 has relaxed SIMD (behind a flag on 20, which enableRelaxedSimd sets). */
const VARIANTS = [
  { fused: false, name: "SIMD128" },
  { fused: true, name: "fused multiply-add" },
];

test("both assembled builds load against the wasm backend's memory (a missing build fails here, not silently)", () => {
  const memory = calls().wasmMemory;
  assert.ok(memory instanceof WebAssembly.Memory, "the wasm backend exposes its memory");
  assert.equal(
    enableRelaxedSimd(),
    true,
    `V8 ${process.versions.v8} should run relaxed SIMD (shipped from 11.4, behind a flag in Node 20)`,
  );
  for (const { fused } of VARIANTS) {
    assert.equal(typeof simdKernelsFor(memory, fused)?.outerAccumulate, "function");
    assert.equal(typeof simdKernelsFor(memory, fused)?.rowScatter, "function");
  }
  assert.notEqual(simdKernelsFor(memory, true), simdKernelsFor(memory, false), "two instances, one per build");
});

for (const { fused, name } of VARIANTS)
  test(`outerAccumulate: C += sum of outer products of strided rows, every tile shape and remainder (${name})`, () => {
    const k = calls();
    // Rows of A and B with padding between them (strides larger than the widths), several segments.
    for (const [m, n] of [
      [1, 4],
      [3, 4],
      [4, 8],
      [5, 12],
      [9, 20],
      [18, 16],
      [7, 36],
    ]) {
      const lda = m + 3,
        ldb = n + 5;
      const runs = [
        [0, 0, 5],
        [6, 7, 1],
        [9, 2, 0],
        [2, 10, 4],
      ]; // [first row of A, first row of B, rows]
      const rowsA = 16,
        rowsB = 16;
      const a = k.alloc([rowsA * lda]),
        b = k.alloc([rowsB * ldb]),
        c = k.alloc([m * n]);
      const segs = k.backendMakeOutput([runs.length * 3], "int32");
      try {
        const [A, B, C, S] = [k.heap(a), k.heap(b), k.heap(c), k.heapOf(segs) as Int32Array];
        A.set(randomArray(A.length, m));
        B.set(randomArray(B.length, n));
        C.set(randomArray(C.length, m * n));
        const expected = Float64Array.from(C);
        for (const [ra, rb, rows] of runs) {
          for (let p = 0; p < rows; p++) {
            for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expected[i * n + j] += A[(ra + p) * lda + i] * B[(rb + p) * ldb + j];
          }
        }
        runs.forEach(([ra, rb, rows], s) => S.set([A.byteOffset + ra * lda * 4, B.byteOffset + rb * ldb * 4, rows], 3 * s));
        simdKernelsFor(k.wasmMemory!, fused)!.outerAccumulate(C.byteOffset, n * 4, S.byteOffset, runs.length, lda * 4, ldb * 4, m, n);
        assertClose(C, Float32Array.from(expected), `${name} m=${m} n=${n}`);
      } finally {
        k.free(a, b, c, segs);
      }
    }
  });

for (const { fused, name } of VARIANTS)
  test(`rowScatter: rows of C += row of A times B, overlapping rows of C, tiles across segments, every tile shape and remainder (${name})`, () => {
    const k = calls();
    // [k, width, C's row stride (floats; below width the rows overlap), pixels per tile]
    for (const [depth, width, ldc, rowsPerTile] of [
      [1, 4, 4, 1],
      [5, 8, 8, 4],
      [3, 12, 4, 1],
      [16, 12, 8, 4],
      [7, 36, 12, 4],
      [9, 20, 20, 1],
      [2, 48, 16, 4],
    ]) {
      const lda = depth + 2,
        ldb = width + 3;
      // [first row of A, first row of C, pixels]: short segments, so tiles of 4 take pixels of several.
      const runs = [
        [0, 0, 6],
        [7, 9, 1],
        [3, 20, 0],
        [8, 12, 5],
        [1, 22, 2],
        [12, 26, 3],
        [5, 30, 1],
      ];
      const cRows = 32;
      const a = k.alloc([16 * lda]),
        b = k.alloc([depth * ldb]),
        c = k.alloc([cRows * ldc + width]);
      const segs = k.backendMakeOutput([runs.length * 3], "int32");
      try {
        const [A, B, C, S] = [k.heap(a), k.heap(b), k.heap(c), k.heapOf(segs) as Int32Array];
        A.set(randomArray(A.length, depth));
        B.set(randomArray(B.length, width));
        C.set(randomArray(C.length, ldc));
        const expected = Float64Array.from(C);
        for (const [ra, rc, pixels] of runs) {
          for (let p = 0; p < pixels; p++) {
            for (let n = 0; n < width; n++) {
              let sum = 0;
              for (let o = 0; o < depth; o++) sum += A[(ra + p) * lda + o] * B[o * ldb + n];
              expected[(rc + p) * ldc + n] += sum;
            }
          }
        }
        runs.forEach(([ra, rc, pixels], i) => S.set([A.byteOffset + ra * lda * 4, C.byteOffset + rc * ldc * 4, pixels], 3 * i));
        simdKernelsFor(k.wasmMemory!, fused)!.rowScatter(
          S.byteOffset,
          runs.length,
          ldc * 4,
          lda * 4,
          B.byteOffset,
          ldb * 4,
          depth,
          width,
          rowsPerTile,
        );
        assertClose(C, Float32Array.from(expected), `${name} k=${depth} width=${width} ldc=${ldc} tile rows=${rowsPerTile}`);
      } finally {
        k.free(a, b, c, segs);
      }
    }
  });

/** dW of sum(conv2d(x, w) * r) on `backend`. */
async function filterGradient(backend: string, c: Case): Promise<Float32Array> {
  return (await convGradients(backend, c)).dw;
}

const geometry = (c: Case) => convGeometry([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.s, c.pad, undefined, false, undefined);

const cases: Case[] = [
  { n: 2, h: 9, w: 7, ci: 5, co: 8, k: 3, s: 1, pad: "same" }, // dW's columns as vectors
  { n: 2, h: 9, w: 7, ci: 3, co: 12, k: 3, s: 2, pad: "same" }, // 8 + 4 columns, 9 rows of C: every tile
  { n: 2, h: 9, w: 11, ci: 8, co: 7, k: 3, s: 1, pad: "valid" }, // co % 4 != 0: transposed
  { n: 2, h: 7, w: 9, ci: 12, co: 255, k: 1, s: 1, pad: "valid" }, // YOLOv5's Detect: transposed 1x1
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
    n: 1,
    h: 9,
    w: 8,
    ci: 4,
    co: 3,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 1],
      [0, 0],
    ],
  }, // asymmetric, transposed
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
  { n: 3, h: 4, w: 4, ci: 4, co: 4, k: 5, s: 2, pad: "same" },
  { n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, s: 2, pad: "same" }, // strided 1x1
];

for (const c of cases) {
  test(`outer-product filter gradient, ${label(c)}: taken, matches cpu to 1e-4`, async () => {
    assert.equal(outerFilterGradientApplies(calls(), geometry(c), c.co), true);
    const reference = await filterGradient("cpu", c);
    assertClose(await filterGradient("wasm", c), reference, label(c));
  });
  test(`outer-product filter gradient, one output row per call, ${label(c)}: matches cpu to 1e-4`, async () => {
    const reference = await filterGradient("cpu", c);
    Object.assign(outerFilterGradient, { chunkBytes: 1, transposedChunkBytes: 1 });
    try {
      assertClose(await filterGradient("wasm", c), reference, label(c));
    } finally {
      Object.assign(outerFilterGradient, defaults);
    }
  });
}

test("neither channel count a multiple of 4: handed to the other forms, still matches cpu", async () => {
  const c: Case = { n: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, s: 1, pad: "same" };
  assert.equal(outerFilterGradientApplies(calls(), geometry(c), c.co), false);
  const reference = await filterGradient("cpu", c);
  assertClose(await filterGradient("wasm", c), reference, label(c));
});

const inputCases: Case[] = [
  { n: 2, h: 9, w: 7, ci: 8, co: 6, k: 3, s: 1, pad: "same" }, // 4-pixel tiles, 8 + 8 + 8 columns
  { n: 2, h: 9, w: 7, ci: 4, co: 5, k: 3, s: 1, pad: "same" }, // rows 4 apart: one pixel a tile
  { n: 2, h: 9, w: 11, ci: 4, co: 8, k: 3, s: 2, pad: "same" }, // strided: 4-pixel tiles, 8 + 4 columns
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
  { n: 2, h: 7, w: 9, ci: 12, co: 255, k: 1, s: 1, pad: "valid" }, // YOLOv5's Detect
  {
    n: 2,
    h: 13,
    w: 13,
    ci: 4,
    co: 16,
    k: 6,
    s: 2,
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  },
  {
    n: 1,
    h: 9,
    w: 8,
    ci: 4,
    co: 3,
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
    ci: 8,
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
  { n: 2, h: 5, w: 2, ci: 4, co: 8, k: 3, s: 1, pad: "same" }, // narrower than the filter
  { n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, s: 2, pad: "same" }, // strided 1x1: pixels dx never sees
  { n: 3, h: 9, w: 9, ci: 4, co: 4, k: 2, s: 3, pad: "valid" }, // stride above the filter: gaps
];

for (const c of inputCases) {
  test(`row-scatter input gradient, ${label(c)}: taken, matches cpu to 1e-4`, async () => {
    assert.equal(scatterInputGradientApplies(calls(), geometry(c)), true);
    const reference = await convGradients("cpu", c);
    assertClose((await convGradients("wasm", c)).dx, reference.dx, label(c));
  });
  test(`row-scatter input gradient, one output row per call, ${label(c)}: matches cpu to 1e-4`, async () => {
    const reference = await convGradients("cpu", c);
    scatterInputGradient.chunkBytes = 1;
    try {
      assertClose((await convGradients("wasm", c)).dx, reference.dx, label(c));
    } finally {
      Object.assign(scatterInputGradient, scatterDefaults);
    }
  });
}

test("input gradient with dx's channels not a multiple of 4: handed to the other forms, still matches cpu", async () => {
  const c: Case = { n: 2, h: 9, w: 7, ci: 6, co: 8, k: 3, s: 2, pad: "same" };
  assert.equal(scatterInputGradientApplies(calls(), geometry(c)), false);
  const reference = await convGradients("cpu", c);
  assertClose((await convGradients("wasm", c)).dx, reference.dx, label(c));
});

test("switched off: not taken", () => {
  const c = cases[0];
  outerFilterGradient.enabled = false;
  scatterInputGradient.enabled = false;
  try {
    assert.equal(outerFilterGradientApplies(calls(), geometry(c), c.co), false);
    assert.equal(scatterInputGradientApplies(calls(), geometry(inputCases[0])), false);
  } finally {
    Object.assign(outerFilterGradient, defaults);
    Object.assign(scatterInputGradient, scatterDefaults);
  }
});

test("threaded wasm build (shared memory): the shared variant loads, the filter gradient, the input gradient and the forward convolution take ours (on kernel threads), all match cpu", () => {
  // A process of its own: the wasm backend's build is fixed once it has started here.
  const script = `
    const tf = require("@tensorflow/tfjs");
    const lab = require(${JSON.stringify(require.resolve("../../src/index"))});
    const { scatterInputGradientApplies } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv2d-backprop-input-scatter"))});
    const { outerFilterGradientApplies } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv2d-backprop-filter-outer"))});
    const { KernelCalls } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/kernel-calls"))});
    const { convGeometry } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv-geometry"))});
    const { rowConvForwardApplies } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv2d-forward-rows"))});
    (async () => {
      await lab.initBackend({ prefer: "wasm" });
      const calls = new KernelCalls(tf.backend(), "wasm");
      const g = convGeometry([2, 9, 7, 8], [3, 3, 8, 12], 2, "same", undefined, false, undefined);
      const grad = () => tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 7, 8], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 8, 12], 0, 1, "float32", 2);
        const [dx, dw] = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, "same"))))([x, w]);
        return tf.concat([dx.flatten(), dw.flatten()]);
      });
      const ours = await grad().data();
      await tf.setBackend("cpu");
      const ref = await grad().data();
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / Math.max(1, Math.abs(ref[i])));
      console.log(JSON.stringify({ shared: calls.wasmMemory.buffer instanceof SharedArrayBuffer, filter: outerFilterGradientApplies(calls, g, 12), input: scatterInputGradientApplies(calls, g), forward: rowConvForwardApplies(calls, g), worst }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, TFJS_LAB_WASM_THREADS: "2" }, encoding: "utf8" });
  const result = JSON.parse(out.trim().split("\n").at(-1)!) as {
    shared: boolean;
    filter: boolean;
    input: boolean;
    forward: boolean;
    worst: number;
  };
  assert.equal(result.shared, true, "TFJS_LAB_WASM_THREADS=2 starts the threaded build");
  assert.equal(result.filter, true, "the filter gradient takes our kernel");
  assert.equal(result.input, true, "the input gradient takes our kernel (kernel threads started)");
  assert.equal(result.forward, true, "the forward convolution takes our kernel (kernel threads started)");
  assert.ok(result.worst <= 1e-4, `max relative difference ${result.worst}`);
});

test("1x1 convolutions store their products (forward at strides 1 and 2, input gradient at 1) into outputs allocated full of NaNs: every value written; at stride 2 dx's unseen pixels are zeroed", () => {
  // Every tensor our kernels allocate starts as NaNs, so a value the kernel skips shows.
  class PoisonedCalls extends KernelCalls {
    override alloc(shape: number[]): tf.TensorInfo {
      const info = super.alloc(shape);
      this.heap(info).fill(Number.NaN);
      return info;
    }
  }
  const k = new PoisonedCalls(tf.backend() as unknown as KernelBackendLike, "wasm");
  const read = (out: tf.TensorInfo) => {
    const values = Float32Array.from(k.heap(out));
    k.free(out);
    return values;
  };
  for (const s of [1, 2]) {
    const c: Case = { n: 2, h: 6, w: 7, ci: 8, co: 12, k: 1, s, pad: "valid" };
    const g = geometry(c);
    const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(randomArray(c.ci * c.co, 2), [1, 1, c.ci, c.co]);
    const dy = tf.tensor4d(randomArray(c.n * g.outHeight * g.outWidth * c.co, 3), [c.n, g.outHeight, g.outWidth, c.co]);
    const y = read(conv2dRows(k, x, w, g));
    const dx = read(backpropInputScatter(k, dy, w, g));
    const expectedY = tf.conv2d(x, w, s, "valid").dataSync() as Float32Array;
    const expectedDx = tf.conv2dTranspose(dy, w, [c.n, c.h, c.w, c.ci], s, "valid").dataSync() as Float32Array;
    assert.ok(!y.some(Number.isNaN) && !dx.some(Number.isNaN), `stride ${s}: no value left unwritten`);
    assertClose(y, expectedY, `y, stride ${s}`);
    assertClose(dx, expectedDx, `dx, stride ${s}`);
    tf.dispose([x, w, dy]);
  }
});

test("a convolution's walk replayed from the cache, at other addresses, gives the bits of a fresh walk; the cache keeps within its bound", async () => {
  const cases: Case[] = [
    { n: 2, h: 9, w: 7, ci: 8, co: 12, k: 3, s: 2, pad: "same" },
    { n: 1, h: 6, w: 11, ci: 4, co: 8, k: 5, s: 1, pad: "same" },
    { n: 3, h: 5, w: 5, ci: 16, co: 16, k: 1, s: 1, pad: "valid" },
  ];
  const maxValues = walkCache.maxValues;
  const forget = () => {
    walkCache.walks.clear();
    walkCache.values = 0;
  };
  const all = async (c: Case) => {
    const { dx, dw } = await convGradients("wasm", c);
    return [...dx, ...dw];
  };
  try {
    for (const c of cases) {
      forget();
      walkCache.maxValues = 0; // nothing kept: every call walks
      const fresh = await all(c);
      assert.equal(walkCache.walks.size, 0);
      walkCache.maxValues = maxValues;
      const recorded = await all(c);
      assert.ok(walkCache.walks.size > 0, "the walks were kept");
      // Other tensors now sit where the first ones were: the replay adds the new addresses.
      const shift = tf.zeros([1237]);
      const replayed = await all(c);
      shift.dispose();
      assertSameBits(new Float32Array(recorded), new Float32Array(fresh), `${label(c)}: recording`);
      assertSameBits(new Float32Array(replayed), new Float32Array(fresh), `${label(c)}: replay`);
    }
    // A bound smaller than the walks: the oldest go, the total stays within it.
    forget();
    walkCache.maxValues = 600;
    for (const c of cases) await all(c);
    assert.ok(walkCache.values <= 600 && walkCache.values > 0, `${walkCache.values} values kept`);
    const kept = [...walkCache.walks.values()].reduce((s, w) => s + w.segments.length + w.flushes.length, 0);
    assert.equal(kept, walkCache.values, "the count is the walks' size");
  } finally {
    walkCache.maxValues = maxValues;
  }
});
