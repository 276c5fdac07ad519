// Our SIMD convolution kernels on kernel threads (wasm-kernels/kernel-threads.ts): this file
// runs the threaded wasm backend with 3 threads (set before the backend starts; more threads
// than this machine's cores only slows it), and checks that
// - the backend starts kernel threads, and the convolutions run in several parts;
// - Add, Sub and Multiply of same-shape tensors, strided copies (Slice, SplitV, Concat),
//   MaxPoolGrad, and SiLU and batch norm separate and fused,
//   give the same bits in parts as in one;
// - forward, input and filter gradients (strides, edges, explicit pads, channel counts that
//   split in vectors of 8, of 4, and 255; batches split by image) equal the single-part result and the cpu backend's,
//   and are deterministic: 2 and 3 parts give the same bits, run after run;
// - jobs back to back, with any number of parts, run each part exactly once;
// - a thread's failure reaches the caller as an error naming the kernel, and the next job runs;
// - an interrupt (SIGINT under vm's breakOnSigint, as the kernel stops a blocking cell) in the
//   middle of threaded work leaves no thread stuck: the next convolution runs and is right;
// - a script that used the kernel threads exits by itself.
process.env.TFJS_LAB_WASM_THREADS = "3";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { exec, execFileSync } from "node:child_process";
import * as vm from "node:vm";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { type KernelBackendLike, KernelCalls } from "../../src/tfjs/wasm-kernels/kernel-calls";
import { kernelThreadsFor } from "../../src/tfjs/wasm-kernels/kernel-threads";
import { convThreads, convJobParts } from "../../src/tfjs/wasm-kernels/run-conv-job";
import { elementwiseThreads, elementwiseParts } from "../../src/tfjs/wasm-kernels/run-elementwise-job";
import { silu } from "../../src/toolkit/ops/silu";
import { batchNormTrain } from "../../src/toolkit/ops";
import { convGeometry } from "../../src/tfjs/wasm-kernels/conv-geometry";
import { filterImageChunks } from "../../src/tfjs/wasm-kernels/conv-job";
import { winogradConv } from "../../src/tfjs/wasm-kernels/winograd-conv";
import { closeAbandonedTfScopes } from "../../src/tfjs/scope-recovery";
import { assertClose, assertSameBits } from "../helpers/assert-close";
import { type ConvCase, convCaseLabel, convGradients, type Pad } from "../helpers/conv-gradients";
import { randomArray } from "../helpers/random-array";

const defaults = { ...convThreads };
const chunkDefaults = { ...filterImageChunks };
const elementwiseDefaults = { ...elementwiseThreads };
const calls = () => new KernelCalls(tf.backend() as unknown as KernelBackendLike, "wasm");

before(async () => {
  const report = await initBackend({ prefer: "wasm" });
  assert.equal(report.name, "wasm");
  // Every convolution and element-wise kernel here splits, however small, and every filter
  // gradient sums chunks of images.
  convThreads.minFlopsPerPart = 0;
  Object.assign(filterImageChunks, { minFlops: 0, minPixels: 0 });
  elementwiseThreads.minValuesPerPart = 0;
  // The direct kernels' jobs on every shape here (Winograd's threads: wasm-winograd.test.ts).
  winogradConv.enabled = false;
});
after(() => {
  Object.assign(convThreads, defaults);
  Object.assign(filterImageChunks, chunkDefaults);
  Object.assign(elementwiseThreads, elementwiseDefaults);
  winogradConv.enabled = true;
});

const CASES: ConvCase[] = [
  // Batches of 4 and 5 split their images across 2 and 3 parts (forward, input gradient).
  { n: 4, h: 9, w: 7, ci: 8, co: 12, k: 3, s: 2, pad: "same" },
  { n: 5, h: 6, w: 6, ci: 16, co: 16, k: 1, s: 1, pad: "valid" },
  { n: 2, h: 9, w: 7, ci: 8, co: 12, k: 3, s: 2, pad: "same" },
  { n: 2, h: 10, w: 10, ci: 16, co: 16, k: 3, s: 1, pad: "same" },
  { n: 1, h: 12, w: 11, ci: 12, co: 20, k: 3, s: 1, pad: "valid" }, // channels split in vectors of 4
  { n: 2, h: 8, w: 8, ci: 16, co: 255, k: 1, s: 1, pad: "valid" }, // Detect's 255: the transposed filter gradient
  {
    n: 2,
    h: 16,
    w: 16,
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
    h: 7,
    w: 9,
    ci: 8,
    co: 8,
    k: 5,
    s: 2,
    pad: [
      [0, 0],
      [2, 1],
      [1, 2],
      [0, 0],
    ] as Pad,
  },
];

/** The forward output and both gradients, concatenated, on wasm with at most `maxParts` parts. */
async function convAll(c: ConvCase, maxParts: number): Promise<Float32Array> {
  convThreads.maxParts = maxParts;
  try {
    const { dx, dw } = await convGradients("wasm", c);
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]),
        tf.tensor4d(randomArray(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]),
        c.s,
        c.pad,
      ),
    );
    const out = new Float32Array(dx.length + dw.length + y.size);
    out.set(dx);
    out.set(dw, dx.length);
    out.set((await y.data()) as Float32Array, dx.length + dw.length);
    y.dispose();
    return out;
  } finally {
    convThreads.maxParts = defaults.maxParts;
  }
}

test("the threaded backend starts kernel threads for every thread, and the backend report says so", async () => {
  const pool = kernelThreadsFor(calls().wasmMemory);
  assert.ok(pool, "kernel threads started on the shared memory");
  assert.equal(pool.threads, 3);
  const report = await initBackend({ prefer: "wasm" });
  assert.match(report.probes.find((p) => p.name === "wasm")?.detail ?? "", /3 threads \(XNNPACK on 1\)/);
  const g = convGeometry([2, 10, 10, 16], [3, 3, 16, 16], 1, "same", undefined, false, undefined);
  const job = {
    kind: "forward" as const,
    g,
    outChannels: 16,
    inputAt: 0,
    outputAt: 0,
    filterAt: 0,
    rowsPerChunk: 1,
    rowsPerTile: 4,
    fused: true,
    zeroWritten: true,
    stores: false,
  };
  assert.deepEqual(
    convJobParts(calls(), job),
    { parts: 2, splitImages: false },
    "2 images for 3 threads: 16 channels split in two vectors of 8",
  );
  assert.deepEqual(convJobParts(calls(), { ...job, outChannels: 64 }), { parts: 3, splitImages: false });
  const four = { ...job, g: { ...g, batch: 4 } };
  assert.deepEqual(convJobParts(calls(), four), { parts: 3, splitImages: true }, "4 images: each thread takes its own");
  assert.deepEqual(convJobParts(calls(), { ...four, kind: "inputGradient" }), { parts: 3, splitImages: true });
  filterImageChunks.minFlops = Infinity;
  try {
    assert.deepEqual(
      convJobParts(calls(), { ...four, kind: "filterGradient" }),
      { parts: 2, splitImages: false },
      "too little work for chunks of images: the filter gradient splits channels",
    );
  } finally {
    filterImageChunks.minFlops = 0;
  }
  assert.deepEqual(
    convJobParts(calls(), { ...four, kind: "filterGradient" }),
    { parts: 4, splitImages: true },
    "the filter gradient in chunks of images, one copy of dW each: 4, whatever the threads",
  );
  const deep = {
    ...four,
    kind: "filterGradient" as const,
    g: { ...four.g, inChannels: 256, filterHeight: 3, filterWidth: 3 },
    outChannels: 256,
  };
  assert.deepEqual(
    convJobParts(calls(), deep),
    { parts: 3, splitImages: false },
    "a 3x3 256->256 filter: copies too large, channels split",
  );
});

for (const c of CASES)
  test(`threaded = one part = cpu, deterministic: ${convCaseLabel(c)}`, async () => {
    const one = await convAll(c, 1);
    const two = await convAll(c, 2);
    const three = await convAll(c, Infinity);
    const again = await convAll(c, Infinity);
    assertSameBits(two, three, "2 parts vs 3 parts");
    assertSameBits(three, again, "3 parts, twice");
    assertClose(three, one, "3 parts vs 1 part");
    const { dx, dw } = await convGradients("cpu", c);
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]),
        tf.tensor4d(randomArray(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]),
        c.s,
        c.pad,
      ),
    );
    const ref = new Float32Array(three.length);
    ref.set(dx);
    ref.set(dw, dx.length);
    ref.set((await y.data()) as Float32Array, dx.length + dw.length);
    y.dispose();
    await tf.setBackend("wasm");
    assertClose(three, ref, "3 parts vs cpu");
  });

test("SiLU, batch norm and their gradients on kernel threads, separate and fused: the same bits as on one, 12 parts, odd sizes", async () => {
  // Four parts for each of the 3 threads: a thread that starts late leaves less behind.
  assert.equal(elementwiseParts(calls(), 1001), 12);
  const grads = async (maxParts: number, fusedSilu: boolean) => {
    elementwiseThreads.maxParts = maxParts;
    const op = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
      const r = batchNormTrain(a, g, b, 1e-5, fusedSilu ? "silu" : undefined);
      return { ...r, y: fusedSilu ? r.y : silu(r.y) };
    };
    try {
      // 16,008 values, 1,334 rows: the channel sums' 6 blocks of 256 rows: some parts have none.
      const x = tf.tensor4d(randomArray(2 * 23 * 29 * 12, 5), [2, 23, 29, 12]);
      const gamma = tf.tensor1d(randomArray(12, 6)),
        beta = tf.tensor1d(randomArray(12, 7));
      const r = tf.tensor4d(randomArray(x.size, 8), x.shape);
      const [dx, dg, db] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.mul(op(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D).y, r))),
      )([x, gamma, beta]);
      const forward = tf.tidy(() => op(x, gamma, beta));
      const out = (await Promise.all([dx, dg, db, forward.y, forward.mean, forward.variance].map((t) => t.data()))) as Float32Array[];
      tf.dispose([x, gamma, beta, r, dx, dg, db, forward.y, forward.mean, forward.variance]);
      return out;
    } finally {
      elementwiseThreads.maxParts = elementwiseDefaults.maxParts;
    }
  };
  const one = await grads(1, false);
  const names = ["dx", "dgamma", "dbeta", "silu(y)", "mean", "variance"];
  for (const [label, other] of [
    ["12 parts vs 1", await grads(Infinity, false)],
    ["fused, 1 part vs separate", await grads(1, true)],
    ["fused, 12 parts vs separate on 1", await grads(Infinity, true)],
  ] as const)
    one.forEach((g, i) => assertSameBits(other[i], g, `${names[i]}, ${label}`));
});

test("Add, Sub and Multiply of same-shape tensors in parts on kernel threads: the cpu backend's bits, odd sizes", async () => {
  // 65,553 values: above the size our kernel takes, and not a multiple of 4 (the scalar tail).
  const shape = [3, 21851];
  const a = randomArray(3 * 21851, 11, 8),
    b = randomArray(3 * 21851, 12, 8);
  b[5] = 0;
  a[7] = Number.NaN;
  assert.ok(elementwiseParts(calls(), a.length) > 1);
  for (const op of ["add", "sub", "mul"] as const) {
    const run = async () => {
      const t = tf.tidy(() => tf[op](tf.tensor(a, shape), tf.tensor(b, shape)));
      const out = (await t.data()) as Float32Array;
      t.dispose();
      return out;
    };
    const ours = await run();
    await tf.setBackend("cpu");
    const reference = await run();
    await tf.setBackend("wasm");
    assertSameBits(ours, reference, op);
  }
});

test("Slice, SplitV and Concat as strided copies in parts on kernel threads: the cpu backend's values", async () => {
  const x = randomArray(4 * 6 * 5 * 12, 13);
  const cases: [string, (t: tf.Tensor) => tf.Tensor | tf.Tensor[]][] = [
    ["channels of NHWC", (t) => tf.slice(t, [0, 0, 0, 3], [4, 6, 5, 7])],
    ["a partial leading axis and channels", (t) => tf.slice(t, [1, 0, 0, 4], [2, 6, 5, 8])],
    ["partial middle axes", (t) => tf.slice(t, [0, 2, 1, 0], [4, 3, 3, 12])],
    ["every axis partial", (t) => tf.slice(t, [1, 1, 1, 1], [3, 4, 3, 10])],
    ["leading axis only", (t) => tf.slice(t, [1, 0, 0, 0], [2, 6, 5, 12])],
    ["split of the channels", (t) => tf.split(t, [4, 8], 3)],
    ["split of a middle axis", (t) => tf.split(t, [2, 4], 1)],
    ["concat of the channels", (t) => tf.concat([t, tf.slice(t, [0, 0, 0, 0], [4, 6, 5, 5])], 3)],
  ];
  for (const [label, f] of cases) {
    const run = async () => {
      const out = tf.tidy(() => [f(tf.tensor(x, [4, 6, 5, 12]))].flat());
      const values = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
      tf.dispose(out);
      return values;
    };
    const ours = await run();
    await tf.setBackend("cpu");
    const reference = await run();
    await tf.setBackend("wasm");
    ours.forEach((v, i) => assertSameBits(v, reference[i], `${label}, piece ${i}`));
  }
});

test("MaxPoolGrad in parts by image on kernel threads: the same bits as in one part", async () => {
  const x = tf.tensor4d(randomArray(5 * 10 * 10 * 8, 14), [5, 10, 10, 8]);
  const r = tf.tensor4d(randomArray(5 * 10 * 10 * 8, 15), [5, 10, 10, 8]);
  const run = async (maxParts: number) => {
    elementwiseThreads.maxParts = maxParts;
    try {
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 5, 1, "same"), r)))(x);
      const out = (await dx.data()) as Float32Array;
      dx.dispose();
      return out;
    } finally {
      elementwiseThreads.maxParts = elementwiseDefaults.maxParts;
    }
  };
  assertSameBits(await run(Infinity), await run(1), "5 images in parts vs one");
  tf.dispose([x, r]);
});

test("a filter gradient in chunks of images: the same bits on 1 thread (chunks in turn on the main thread) and on 3, and close to cpu", () => {
  // Processes of their own: the thread count is fixed when the backend starts.
  const script = `
    const tf = require("@tensorflow/tfjs");
    const lab = require(${JSON.stringify(require.resolve("../../src/index"))});
    const { filterImageChunks, filterGradientImageChunks } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv-job"))});
    const { convGeometry } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/conv-geometry"))});
    Object.assign(filterImageChunks, { minFlops: 0, minPixels: 0 });
    require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/winograd-conv"))}).winogradConv.enabled = false;
    (async () => {
      await lab.initBackend({ prefer: "wasm" });
      const dw = (co) => tf.tidy(() => {
        const x = tf.randomNormal([5, 11, 9, 8], 0, 1, "float32", 1), w = tf.randomNormal([3, 3, 8, co], 0, 1, "float32", 2);
        return tf.grad((b) => tf.sum(tf.square(tf.conv2d(x, b, 1, "same"))))(w);
      });
      const out = {};
      for (const co of [12, 6]) {
        out[co] = Array.from(await dw(co).data());
        await tf.setBackend("cpu");
        out["cpu" + co] = Array.from(await dw(co).data());
        await tf.setBackend("wasm");
      }
      out.chunks = filterGradientImageChunks(convGeometry([5, 11, 9, 8], [3, 3, 8, 12], 1, "same", undefined, false, undefined), 12);
      console.log(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const run = (threads: number) =>
    JSON.parse(
      execFileSync(process.execPath, ["-e", script], { env: { ...process.env, TFJS_LAB_WASM_THREADS: String(threads) }, encoding: "utf8" })
        .trim()
        .split("\n")
        .at(-1)!,
    ) as Record<string, number[]> & { chunks: number };
  const [one, three] = [run(1), run(3)];
  assert.equal(one.chunks, 5, "5 images: 5 chunks");
  // co 12 sums dW directly, co 6 (not in vectors of 4) its transposed accumulator.
  for (const co of [12, 6]) {
    assertSameBits(Float32Array.from(three[co]), Float32Array.from(one[co]), `co ${co}: 3 threads vs 1`);
    assertClose(Float32Array.from(one[co]), Float32Array.from(one[`cpu${co}`]), `co ${co}: 1 thread vs cpu`);
  }
});

test("2,000 jobs back to back, 1 to 40 parts, with and without pauses between: every part runs once, on whichever thread claims it", async () => {
  // Workers that wake late, spin or sleep meet jobs that are open, closed or already the next one.
  const pause = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  try {
    for (let i = 0; i < 2000; i++) {
      const x = tf.tensor1d(randomArray(1 + Math.floor(next() * 3000), i));
      elementwiseThreads.maxParts = 1;
      const one = tf.tidy(() => silu(x));
      elementwiseThreads.maxParts = 1 + Math.floor(next() * 40);
      if (i % 3 === 1) pause(next() * 0.6);
      const many = tf.tidy(() => silu(x));
      assertSameBits(
        (await many.data()) as Float32Array,
        (await one.data()) as Float32Array,
        `job ${i}, ${elementwiseThreads.maxParts} parts`,
      );
      tf.dispose([x, one, many]);
    }
  } finally {
    elementwiseThreads.maxParts = elementwiseDefaults.maxParts;
  }
});

test("a kernel thread's failure is thrown to the caller, naming the kernel; the next job runs", async () => {
  const pool = kernelThreadsFor(calls().wasmMemory)!;
  // The main thread runs its parts with the callback, not the table: it dawdles on its first
  // so that the workers take the others and meet the unknown job number.
  const nap = new Int32Array(new SharedArrayBuffer(4));
  assert.throws(
    () =>
      pool.run(99, new Int32Array(4), 3, () => {
        Atomics.wait(nap, 0, 0, 3000);
      }),
    /our wasm kernel 'job 99' failed on a kernel thread: thread \d: no job number 99/,
  );
  assert.ok(kernelThreadsFor(calls().wasmMemory), "the threads still serve");
  const c = CASES[1];
  assertClose(await convAll(c, Infinity), await convAll(c, 1), "after a failure");
});

test("an interrupt (SIGINT, breakOnSigint) in the middle of threaded convolutions leaves no thread stuck", async () => {
  const c = CASES[1];
  const expected = await convAll(c, 1);
  const x = tf.randomNormal([8, 64, 64, 32], 0, 1, "float32", 1),
    w = tf.randomNormal([3, 3, 32, 32], 0, 1, "float32", 2);
  const grad = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")));
  const g = globalThis as unknown as { threadedWork?: () => number };
  let steps = 0;
  g.threadedWork = () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const [dx, dw] = grad([x, w]);
      tf.dispose([dx, dw]);
      steps++;
    }
    return steps;
  };
  // Without a listener a SIGINT that came after the script ended would end this process.
  const keep = () => {};
  process.on("SIGINT", keep);
  try {
    exec(`sleep 0.5; kill -INT ${process.pid}`);
    const t0 = Date.now();
    assert.throws(() => new vm.Script("threadedWork()").runInThisContext({ breakOnSigint: true }), /interrupted/);
    assert.ok(Date.now() - t0 < 20_000, "the interrupt landed");
    assert.ok(steps >= 1, "threaded convolutions ran before the interrupt");
  } finally {
    process.off("SIGINT", keep);
    delete g.threadedWork;
  }
  closeAbandonedTfScopes();
  const pool = kernelThreadsFor(calls().wasmMemory);
  assert.ok(pool, "the kernel threads survive the interrupt");
  const t1 = Date.now();
  pool.settle();
  const after = await convAll(c, Infinity);
  assert.ok(Date.now() - t1 < 10_000, "the next convolution does not wait on a stuck thread");
  assertClose(after, expected, "a convolution after the interrupt");
  tf.dispose([x, w]);
});

test("a script that used the kernel threads exits by itself (the threads are unref'd)", () => {
  const script = `
    const tf = require("@tensorflow/tfjs");
    const lab = require(${JSON.stringify(require.resolve("../../src/index"))});
    const { kernelThreadsFor } = require(${JSON.stringify(require.resolve("../../src/tfjs/wasm-kernels/kernel-threads"))});
    lab.initBackend({ prefer: "wasm" }).then(async () => {
      const x = tf.randomNormal([4, 32, 32, 32]), w = tf.randomNormal([3, 3, 32, 32]);
      const [dx] = tf.grads((a, b) => tf.conv2d(a, b, 1, "same").sum())([x, w]);
      await dx.data();
      console.log(JSON.stringify({ threads: kernelThreadsFor(tf.backend().wasm.wasmMemory)?.threads }));
    });`;
  const t0 = Date.now();
  const out = execFileSync(process.execPath, ["-e", script], {
    env: { ...process.env, TFJS_LAB_WASM_THREADS: "2" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)!), { threads: 2 });
  assert.ok(Date.now() - t0 < 60_000);
});
