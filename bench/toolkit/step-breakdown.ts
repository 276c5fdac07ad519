// Where a training step's time goes, tfjs-lab on wasm next to PyTorch (Debian's python3-torch)
// at the same thread count: the convolutions (and the GFLOP/s they reach), batch norm and the
// activations, the other kernels, and the time outside kernels (each framework's own
// bookkeeping: tfjs's engine and tape, PyTorch's autograd and Python). Both sides profile the
// same step after their warm-up (tf.profile; torch.profiler's self CPU time, aten:: ops as
// kernels), the median of 3 profiled steps per op; "outside kernels" is the median step
// without the profiler (on tfjs-lab's side taken in turns with the profiled ones) less the
// kernels, or 0 where the profiled kernels (the profiler's own cost in them) add up to more. The convolutions' FLOPs are counted from tfjs-lab's kernel shapes; the
// architectures are the same, so both sides' GFLOP/s divide the same count.
//   node dist/bench/toolkit/step-breakdown.js [--model yolov5n|small] [--threads N]
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend, switchBackend } from "../../src/tfjs";
import { type BenchWorkload, DEFAULT_PHASE_SECONDS, WORKLOADS, buildStep, median, sgdStep, timeSteps, torchArgs } from "./train-step";

/** The categories, in the table's order, and which op names (either framework's) fall in each. */
const CATEGORIES: [string, RegExp][] = [
  ["convolutions (forward and both gradients)", /conv/i],
  ["batch norm and activations (forward and gradients)", /batch_?norm|moments|silu|relu|sigmoid|threshold_backward|clamp_min/i],
];
const OTHER = "other kernels";
const OUTSIDE = "outside kernels (framework bookkeeping)";

export interface StepProfile {
  stepMs: number;
  /** Self milliseconds by op name (the median of the profiled steps). */
  byOp: Record<string, number>;
  /** 2 x multiply-adds of the step's convolutions (tfjs-lab's side only). */
  convFlops?: number;
}

export interface BreakdownRow {
  category: string;
  oursMs: number;
  torchMs: number;
}

function categoryOf(op: string): string {
  return CATEGORIES.find(([, re]) => re.test(op))?.[0] ?? OTHER;
}

/** The convolution kernels' FLOPs from their shapes: 2 x output pixels x filter taps x channels in x out. */
function convFlops(k: { name: string; inputShapes: number[][]; outputShapes: number[][] }): number {
  const shapes = {
    Conv2D: () => [k.inputShapes[1], k.outputShapes[0]],
    Conv2DBackpropInput: () => [k.inputShapes[1], k.inputShapes[0]],
    Conv2DBackpropFilter: () => [k.outputShapes[0], k.inputShapes[1]],
  }[k.name];
  if (!shapes) return 0;
  const [w, y] = shapes();
  return 2 * y[0] * y[1] * y[2] * w[0] * w[1] * w[2] * w[3];
}

/** tfjs-lab's side, in this process (its wasm threads fixed by TFJS_LAB_WASM_THREADS). */
export async function profileOurStep(w: BenchWorkload): Promise<StepProfile> {
  await initBackend();
  await switchBackend("wasm");
  const step = buildStep(w);
  try {
    await timeSteps(step, 2, 1, DEFAULT_PHASE_SECONDS); // warm-up
    const optimizer = tf.train.sgd(1e-3);
    const run = () => sgdStep(optimizer, step);
    // Plain and profiled steps take turns, so that the load on the machine moves both alike.
    const plain: number[] = [];
    const runs: Record<string, number>[] = [];
    let flops = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await run();
      plain.push(performance.now() - t0);
      const info = await tf.profile(run);
      const byOp: Record<string, number> = {};
      flops = 0;
      for (const k of info.kernels) {
        // A custom gradient's scope is timed around the kernels inside it, which are listed too.
        if (k.name === "unnamed scope") continue;
        byOp[k.name] = (byOp[k.name] ?? 0) + (k.kernelTimeMs as number);
        flops += convFlops(k as unknown as Parameters<typeof convFlops>[0]);
      }
      runs.push(byOp);
    }
    const stepMs = median(plain);
    optimizer.dispose();
    const names = new Set(runs.flatMap((r) => Object.keys(r)));
    const byOp = Object.fromEntries([...names].map((n) => [n, median(runs.map((r) => r[n] ?? 0))]));
    return { stepMs, byOp, convFlops: flops };
  } finally {
    step.dispose();
  }
}

function ourProfile(w: BenchWorkload, threads: number): StepProfile {
  const out = execFileSync(process.execPath, [__filename, "--side", "tfjs", "--model", w.model], {
    env: { ...process.env, TFJS_LAB_WASM_THREADS: String(threads) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 900_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as StepProfile;
}

function torchProfile(w: BenchWorkload, threads: number, python: string): StepProfile {
  const out = execFileSync(python, [...torchArgs(w, threads, {}), "--profile"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const r = JSON.parse(out.trim().split("\n").pop()!) as { median_ms: number; self_ms_by_op: Record<string, number> };
  // Kernels are the aten:: ops; autograd's nodes, the optimizer's and Python's time are bookkeeping.
  const byOp = Object.fromEntries(Object.entries(r.self_ms_by_op).filter(([n]) => n.startsWith("aten::")));
  return { stepMs: r.median_ms, byOp };
}

/** Both sides' milliseconds by category, the step last. */
export function breakdownRows(ours: StepProfile, torch: StepProfile): BreakdownRow[] {
  const byCategory = (p: StepProfile) => {
    const sums = new Map<string, number>([...CATEGORIES.map(([c]) => [c, 0] as [string, number]), [OTHER, 0]]);
    for (const [op, ms] of Object.entries(p.byOp)) sums.set(categoryOf(op), sums.get(categoryOf(op))! + ms);
    const kernels = [...sums.values()].reduce((a, b) => a + b, 0);
    sums.set(OUTSIDE, Math.max(0, p.stepMs - kernels));
    return sums;
  };
  const [a, b] = [byCategory(ours), byCategory(torch)];
  return [...a.keys(), "the step"].map((category) => ({
    category,
    oursMs: category === "the step" ? ours.stepMs : a.get(category)!,
    torchMs: category === "the step" ? torch.stepMs : b.get(category)!,
  }));
}

export function formatBreakdown(rows: BreakdownRow[], convFlops?: number): string {
  const lines = ["| part of the step | tfjs-lab wasm, ms | PyTorch, ms | ratio |", "|---|---|---|---|"];
  // A side's bookkeeping can vanish within its profiler's own cost: no ratio then.
  const ratio = (r: BreakdownRow) => (r.torchMs >= 0.05 ? `${(r.oursMs / r.torchMs).toFixed(2)}x` : "-");
  for (const r of rows) lines.push(`| ${r.category} | ${r.oursMs.toFixed(1)} | ${r.torchMs.toFixed(1)} | ${ratio(r)} |`);
  const conv = rows[0];
  if (convFlops)
    lines.push(
      "",
      `convolutions: ${(convFlops / 1e9).toFixed(1)} GFLOP a step; tfjs-lab ${(convFlops / conv.oursMs / 1e6).toFixed(1)} GFLOP/s, PyTorch ${(convFlops / conv.torchMs / 1e6).toFixed(1)} GFLOP/s`,
    );
  return lines.join("\n");
}

/** The breakdown of `model`'s step at `threads` threads on both sides, as a table. */
export function stepBreakdown(model = "yolov5n", threads = 1, python = "/usr/bin/python3"): string {
  const w = WORKLOADS.find((x) => x.model === model);
  if (!w) throw new Error(`unknown model ${model}; one of ${WORKLOADS.map((x) => x.model).join(", ")}`);
  const ours = ourProfile(w, threads);
  const torch = torchProfile(w, threads, python);
  return formatBreakdown(breakdownRows(ours, torch), ours.convFlops);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const model = arg("--model") ?? "yolov5n";
  if (arg("--side") === "tfjs") {
    const w = WORKLOADS.find((x) => x.model === model)!;
    profileOurStep(w).then(
      (p) => {
        console.log(JSON.stringify(p));
        process.exit(0);
      },
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  } else {
    const threads = Number(arg("--threads") ?? 1);
    console.log(`${model}, ${threads} thread(s)\n\n${stepBreakdown(model, threads, arg("--python"))}`);
  }
}
