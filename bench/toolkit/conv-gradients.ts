// The wasm convolution kernels on YOLOv5n's shapes (batch 8, 320x320), in GFLOP/s: our
// forward convolution against XNNPACK's, and our SIMD gradients against the forms they
// replaced (im2col/GEMM and per-phase convolutions on XNNPACK); ours both with relaxed SIMD's
// fused multiply-add and as plain SIMD128, where the engine has both. In-process at the
// backend's thread count; convBenchByThreads runs it in one process per thread count
// (TFJS_LAB_WASM_THREADS), ours on kernel threads and XNNPACK on its own.
//   node dist/bench/toolkit/conv-gradients.js [--repeats N] [--json]
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { outerFilterGradient } from "../../src/tfjs/wasm-kernels/conv2d-backprop-filter-outer";
import { scatterInputGradient } from "../../src/tfjs/wasm-kernels/conv2d-backprop-input-scatter";
import { rowConvForward } from "../../src/tfjs/wasm-kernels/conv2d-forward-rows";
import { simdKernelChoice } from "../../src/tfjs/wasm-simd/load";
import { relaxedSimdSupport } from "../../src/tfjs/wasm-simd/relaxed-simd";

/** [n, h, w, ci, co, k, stride, pad]: every distinct convolution of YOLOv5n at 320x320, batch 8. */
const YOLOV5N_CONVS: number[][] = [
  [8, 320, 320, 3, 16, 6, 2, 2],
  [8, 160, 160, 16, 32, 3, 2, 1],
  [8, 80, 80, 32, 64, 3, 2, 1],
  [8, 40, 40, 64, 128, 3, 2, 1],
  [8, 20, 20, 128, 256, 3, 2, 1],
  [8, 40, 40, 64, 255, 1, 1, 0],
  [8, 40, 40, 32, 32, 3, 1, 1],
  [8, 80, 80, 16, 16, 3, 1, 1],
  [8, 20, 20, 64, 64, 3, 1, 1],
  [8, 10, 10, 128, 128, 3, 1, 1],
  [8, 80, 80, 32, 16, 1, 1, 0],
  [8, 40, 40, 128, 32, 1, 1, 0],
  [8, 10, 10, 512, 256, 1, 1, 0],
  [8, 20, 20, 128, 255, 1, 1, 0],
];

interface Row {
  kernel: string;
  form: string;
  ms: number;
  gflops: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Total median time of `run(shape index)` over the shapes `which` keeps, and the GFLOP/s it gives. */
type Shape = { flops: number; ci: number; co: number };

function timeAll(
  shapes: Shape[],
  run: (i: number) => void,
  repeats: number,
  which: (s: Shape) => boolean = () => true,
): { ms: number; gflops: number } {
  const picked = shapes.map((s, i) => [s, i] as const).filter(([s]) => which(s));
  picked.forEach(([, i]) => run(i)); // warm-up
  let ms = 0;
  picked.forEach(([, i]) => {
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      run(i);
      times.push(performance.now() - t0);
    }
    ms += median(times);
  });
  const flops = picked.reduce((a, [s]) => a + s.flops, 0);
  return { ms, gflops: flops / 1e6 / ms };
}

export async function convGradientBench(repeats = 5): Promise<Row[]> {
  await initBackend({ prefer: "wasm" });
  const shapes = YOLOV5N_CONVS.map(([n, h, w, ci, co, k, s, p]) => {
    const oh = Math.floor((h + 2 * p - k) / s) + 1,
      ow = Math.floor((w + 2 * p - k) / s) + 1;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ];
    return {
      x: tf.randomNormal([n, h, w, ci]),
      dy: tf.randomNormal([n, oh, ow, co]),
      w: tf.randomNormal([k, k, ci, co]),
      ci,
      co,
      strides: [s, s] as [number, number],
      pad,
      inputShape: [n, h, w, ci],
      filterShape: [k, k, ci, co],
      flops: 2 * n * oh * ow * co * k * k * ci,
    };
  });
  const filterGrad = (i: number) => {
    const c = shapes[i];
    (
      tf.engine().runKernel("Conv2DBackpropFilter", { x: c.x, dy: c.dy }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        filterShape: c.filterShape,
      } as never) as tf.Tensor
    ).dispose();
  };
  const inputGrad = (i: number) => {
    const c = shapes[i];
    (
      tf.engine().runKernel("Conv2DBackpropInput", { dy: c.dy, filter: c.w }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        inputShape: c.inputShape,
      } as never) as tf.Tensor
    ).dispose();
  };
  const forward = (i: number) =>
    tf.conv2d(shapes[i].x as tf.Tensor4D, shapes[i].w as tf.Tensor4D, shapes[i].strides, shapes[i].pad).dispose();
  const rows: Row[] = [];
  const add = (kernel: string, form: string, r: { ms: number; gflops: number }) => rows.push({ kernel, form, ...r });
  const defaults = { filter: outerFilterGradient.enabled, input: scatterInputGradient.enabled, forward: rowConvForward.enabled };
  const variants: [string, boolean][] = relaxedSimdSupport().usable
    ? [
        ["fused multiply-add", true],
        ["SIMD128", false],
      ]
    : [["SIMD128", false]];
  // Detect's 255 channels are not a multiple of 4: XNNPACK keeps them.
  const fourChannels = (s: Shape) => s.co % 4 === 0;
  // The stem's input is the image: training never asks for its gradient.
  const notStem = (s: Shape) => s.ci !== 3;
  try {
    rowConvForward.enabled = false;
    add("forward Conv2D", "XNNPACK (stock), 12 shapes", timeAll(shapes, forward, repeats, fourChannels));
    rowConvForward.enabled = true;
    simdKernelChoice.fused = true;
    if (variants.length > 1)
      add("forward Conv2D", "ours: row products (SIMD, fused multiply-add), 12 shapes", timeAll(shapes, forward, repeats, fourChannels));
    outerFilterGradient.enabled = true;
    for (const [name, fused] of variants) {
      simdKernelChoice.fused = fused;
      add("Conv2DBackpropFilter", `ours: outer products (${name})`, timeAll(shapes, filterGrad, repeats));
    }
    outerFilterGradient.enabled = false;
    add("Conv2DBackpropFilter", "before: im2col + GEMM / forward conv", timeAll(shapes, filterGrad, repeats));
    scatterInputGradient.enabled = true;
    for (const [name, fused] of variants) {
      simdKernelChoice.fused = fused;
      add("Conv2DBackpropInput", `ours: row scatter (${name}), 13 shapes`, timeAll(shapes, inputGrad, repeats, notStem));
    }
    scatterInputGradient.enabled = false;
    rowConvForward.enabled = false;
    add("Conv2DBackpropInput", "before: per-phase conv (XNNPACK) / GEMM + col2im, 13 shapes", timeAll(shapes, inputGrad, repeats, notStem));
  } finally {
    outerFilterGradient.enabled = defaults.filter;
    scatterInputGradient.enabled = defaults.input;
    rowConvForward.enabled = defaults.forward;
    delete simdKernelChoice.fused;
    for (const c of shapes) tf.dispose([c.x, c.dy, c.w]);
  }
  return rows;
}

export function formatConvTable(rows: Row[]): string {
  return [
    "| kernel (YOLOv5n's 14 shapes, the backend's threads) | form | ms, all shapes | GFLOP/s |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.kernel} | ${r.form} | ${r.ms.toFixed(1)} | ${r.gflops.toFixed(1)} |`),
  ].join("\n");
}

/** The bench in one process per thread count; rows by thread count. */
export function convBenchByThreads(counts: number[], repeats = 5): Map<number, Row[]> {
  const byThreads = new Map<number, Row[]>();
  for (const t of counts) {
    const out = execFileSync(process.execPath, [__filename, "--repeats", String(repeats), "--json"], {
      env: { ...process.env, TFJS_LAB_WASM_THREADS: String(t) },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 900_000,
    });
    byThreads.set(t, JSON.parse(out.trim().split("\n").pop()!) as Row[]);
  }
  return byThreads;
}

/** One row per kernel and form, GFLOP/s at each thread count, and the speed-up from the first count to each. */
export function formatConvThreadsTable(byThreads: Map<number, Row[]>): string {
  const counts = [...byThreads.keys()];
  const first = byThreads.get(counts[0])!;
  const head = `| kernel (YOLOv5n's 14 shapes) | form | ${counts.map((t) => `GFLOP/s, ${t} thread${t > 1 ? "s" : ""}`).join(" | ")} | ${counts
    .slice(1)
    .map((t) => `${t} / ${counts[0]}`)
    .join(" | ")} |`;
  const lines = [
    head,
    `|---|---|${counts.map(() => "---|").join("")}${counts
      .slice(1)
      .map(() => "---|")
      .join("")}`,
  ];
  first.forEach((r, i) => {
    const at = counts.map((t) => byThreads.get(t)![i]?.gflops);
    lines.push(
      `| ${r.kernel} | ${r.form} | ${at.map((g) => g?.toFixed(1) ?? "").join(" | ")} | ${at
        .slice(1)
        .map((g) => (g && at[0] ? `${(g / at[0]).toFixed(2)}x` : ""))
        .join(" | ")} |`,
    );
  });
  return lines.join("\n");
}

if (require.main === module) {
  const i = process.argv.indexOf("--repeats");
  const json = process.argv.includes("--json");
  convGradientBench(i > 0 ? Number(process.argv[i + 1]) : 5).then(
    (rows) => {
      console.log(json ? JSON.stringify(rows) : formatConvTable(rows));
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
