// Training-step benchmark: the same step (forward, loss, backward, SGD) in tfjs-lab on each
// available backend and in PyTorch (Debian's python3-torch, 1 and 2 threads), in one run.
//   node dist/bench/toolkit/train-step.js [--only small|yolov5n] [--backends wasm,cpu] [--profile] [--steps N] [--warmup N] [--seconds S] [--rounds N] [--memory] [--json]
// The warm-up and the timed steps each run at least their count of steps and at least --seconds
// (1 unless given), on both sides: a 15 ms step is still being compiled by V8 after 2 steps, and
// the median of 5 such steps is mostly the machine's noise; a 800 ms step needs no more than its count.
// --memory adds one step's peak tensor bytes; --json prints the rows as JSON lines (what
// train-threads.ts reads from the processes it starts, one per wasm thread count).
// With --rounds N the tfjs and PyTorch measurements alternate N times; each figure is the median
// of its rounds' medians, and each round's ratio is printed: on a shared machine the load moves
// within minutes, and a ratio taken from measurements made next to each other is the fairer one.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, switchBackend } from "../../src/tfjs";
import { smallClassifier } from "./small-classifier";
import { watchWasmHeap } from "../../src/tfjs/wasm-heap-watch";
import { appendLoadedModules } from "../module-trace";

export interface BenchWorkload {
  model: "small" | "yolov5n";
  batch: number;
  size: number;
  backends: string[];
}
export interface BenchRow {
  model: string;
  runtime: string;
  threads: number;
  medianMs?: number;
  note?: string;
  /** One step's peak tensor bytes above what was held before it (--memory). */
  peakStepBytes?: number;
}
export interface TrainStepBenchOptions {
  only?: string;
  backends?: string[];
  steps?: number;
  warmup?: number;
  /** The least seconds the warm-up and the timed steps each last (DEFAULT_PHASE_SECONDS). */
  seconds?: number;
  rounds?: number;
  profile?: boolean;
  torchThreads?: number[];
  memory?: boolean;
  json?: boolean;
  python?: string;
  log?: (line: string) => void;
}

export const WORKLOADS: BenchWorkload[] = [
  { model: "small", batch: 32, size: 64, backends: ["tensorflow", "webgpu", "wasm", "cpu"] },
  { model: "yolov5n", batch: 8, size: 320, backends: ["tensorflow", "webgpu", "wasm"] },
];

/** Each phase of a measurement lasts at least this long unless --seconds says otherwise. */
export const DEFAULT_PHASE_SECONDS = 1;

/** A measurement's warm-up and timed step counts and their least seconds, defaults filled in. */
export function phases(opts: Pick<TrainStepBenchOptions, "warmup" | "steps" | "seconds">): {
  warmup: number;
  steps: number;
  seconds: number;
} {
  return { warmup: opts.warmup ?? 2, steps: opts.steps ?? 5, seconds: opts.seconds ?? DEFAULT_PHASE_SECONDS };
}

/** The counts and least duration of a measurement: what both runtimes are asked for. */
export function phaseArgs(opts: Pick<TrainStepBenchOptions, "warmup" | "steps" | "seconds">): string[] {
  const { warmup, steps, seconds } = phases(opts);
  return ["--warmup", String(warmup), "--steps", String(steps), "--seconds", String(seconds)];
}

/** How a measurement was taken, for the log. */
export function describePhases(opts: Pick<TrainStepBenchOptions, "warmup" | "steps" | "seconds">): string {
  const { warmup, steps, seconds } = phases(opts);
  return `${warmup} warm-up + ${steps} timed steps${seconds > 0 ? `, each phase at least ${seconds} s` : ""}`;
}

const TORCH_SCRIPT = path.resolve(__dirname, "../../../bench/toolkit/train_step_torch.py");

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface Step {
  variables: tf.Variable[];
  loss: () => tf.Scalar;
  dispose: () => void;
}

/** One training step: SGD on the loss, waited for, its cost freed. */
export async function sgdStep(optimizer: tf.Optimizer, step: Step): Promise<void> {
  const cost = optimizer.minimize(step.loss, true, step.variables)!;
  await cost.data();
  cost.dispose();
}

/** The loss closure of one workload on the active backend, with its inputs. */
export function buildStep(w: BenchWorkload): Step {
  const x = tf.randomNormal<tf.Rank.R4>([w.batch, w.size, w.size, 3], 0, 1, "float32", 1);
  if (w.model === "small") {
    const net = smallClassifier();
    const labels = tf.tensor1d(
      Array.from({ length: w.batch }, (_, i) => i % 10),
      "int32",
    );
    return { variables: net.variables, loss: () => net.loss(x, labels), dispose: () => tf.dispose([x, labels, ...net.variables]) };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nn = require("../../src/toolkit/nn") as { yolov5?: (o: { scale: string; nc: number }) => YoloLike };
  if (typeof nn.yolov5 !== "function") throw new Error("src/toolkit/nn does not export yolov5 yet");
  const model = nn.yolov5({ scale: "n", nc: 80 }).train();
  return {
    variables: model.parameters(),
    // The same stand-in loss as the PyTorch side: sum over the three maps of mean(map^2).
    loss: () => tf.addN((model.forward(x) as tf.Tensor[]).map((m) => tf.mean(tf.square(m)))) as tf.Scalar,
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}
interface YoloLike {
  train(): YoloLike;
  parameters(): tf.Variable[];
  forward(x: tf.Tensor4D): unknown;
  dispose(): void;
}

export async function timeSteps(step: Step, warmup: number, steps: number, seconds: number): Promise<number[]> {
  const optimizer = tf.train.sgd(1e-3);
  const times: number[] = [];
  const run = async () => {
    const t0 = performance.now();
    await sgdStep(optimizer, step);
    return performance.now() - t0;
  };
  for (let i = 0, spent = 0; i < warmup || spent < seconds * 1000; i++) spent += await run();
  for (let spent = 0; times.length < steps || spent < seconds * 1000; ) {
    times.push(await run());
    spent += times[times.length - 1];
  }
  optimizer.dispose();
  return times;
}

/**
 * Peak bytes of tensor buffers during one step above what was held before it: activations,
 * what the tape saves, gradients, temporaries. On wasm, from the backend's allocator
 * (wasm-heap-watch.ts: each buffer once); elsewhere tf.profile's peak (each tensor object).
 */
export async function peakStepBytes(step: Step): Promise<number> {
  const optimizer = tf.train.sgd(1e-3);
  const run = () => sgdStep(optimizer, step);
  try {
    if (tf.getBackend() === "wasm") {
      const watch = watchWasmHeap(tf.backend());
      try {
        await run();
        return watch.peak();
      } finally {
        watch.stop();
      }
    }
    const before = tf.memory().numBytes;
    const info = await tf.profile(run);
    return info.peakBytes - before;
  } finally {
    optimizer.dispose();
  }
}

/** Per-kernel milliseconds of one step (tf.profile), largest first. */
async function profileStep(step: Step): Promise<[string, number][]> {
  const optimizer = tf.train.sgd(1e-3);
  const info = await tf.profile(() => sgdStep(optimizer, step));
  optimizer.dispose();
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  return [...byKernel.entries()].sort((a, b) => b[1] - a[1]);
}

/** train_step_torch.py and its arguments for workload `w` at `threads` threads, measured as `opts` asks. */
export function torchArgs(w: BenchWorkload, threads: number, opts: Pick<TrainStepBenchOptions, "warmup" | "steps" | "seconds">): string[] {
  return [
    TORCH_SCRIPT,
    "--model",
    w.model,
    "--batch",
    String(w.batch),
    "--size",
    String(w.size),
    "--threads",
    String(threads),
    ...phaseArgs(opts),
  ];
}

export function torchRun(w: BenchWorkload, threads: number, opts: TrainStepBenchOptions): BenchRow {
  const runtime = "pytorch";
  try {
    const out = execFileSync(opts.python ?? "/usr/bin/python3", [...torchArgs(w, threads, opts), ...(opts.memory ? ["--memory"] : [])], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const result = JSON.parse(out.trim().split("\n").pop()!) as { median_ms: number; torch: string; peak_step_bytes?: number };
    return {
      model: w.model,
      runtime: `${runtime} ${result.torch}`,
      threads,
      medianMs: result.median_ms,
      peakStepBytes: result.peak_step_bytes,
    };
  } catch (err) {
    const text = (err as { stderr?: string }).stderr?.trim().split("\n").pop() ?? String(err);
    return { model: w.model, runtime, threads, note: `not run: ${text}` };
  }
}

export function formatTable(rows: BenchRow[]): string {
  const torch = (model: string, threads: number) =>
    rows.find((r) => r.model === model && r.runtime.startsWith("pytorch") && r.threads === threads)?.medianMs;
  const lines = ["| model | runtime | threads | median ms | / torch 1 thread | / torch 2 threads |", "|---|---|---|---|---|---|"];
  for (const r of rows) {
    const ratio = (t?: number) => (r.medianMs !== undefined && t ? `${(r.medianMs / t).toFixed(1)}x` : "");
    const ms = r.medianMs !== undefined ? r.medianMs.toFixed(1) : (r.note ?? "");
    lines.push(`| ${r.model} | ${r.runtime} | ${r.threads} | ${ms} | ${ratio(torch(r.model, 1))} | ${ratio(torch(r.model, 2))} |`);
  }
  return lines.join("\n");
}

/** Runs every workload on every backend available here and in PyTorch; returns the rows. */
export async function runTrainStepBench(opts: TrainStepBenchOptions = {}): Promise<BenchRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const report = await initBackend();
  log(report.describe());
  // Backends whose probe failed at start-up are skipped (and named in the first line).
  const unavailable = new Set(report.probes.filter((p) => !p.ok).map((p) => p.name));
  const rows: BenchRow[] = [];
  const rounds = opts.rounds ?? 1;
  for (const w of WORKLOADS.filter((x) => !opts.only || x.model === opts.only)) {
    log(`${w.model}: batch ${w.batch}, ${w.size}x${w.size}, ${describePhases(opts)}${rounds > 1 ? `, ${rounds} rounds` : ""}`);
    // Per runtime row (in the order first measured): the medians of its rounds, or why it did not run.
    const measured = new Map<string, { row: BenchRow; medians: number[] }>();
    const record = (row: BenchRow, ms?: number) => {
      const entry = measured.get(row.runtime + row.threads) ?? { row, medians: [] };
      if (ms !== undefined) entry.medians.push(ms);
      else entry.row = row;
      measured.set(row.runtime + row.threads, entry);
    };
    for (let round = 0; round < rounds; round++) {
      const roundMs = new Map<string, number>();
      for (const backend of w.backends) {
        if (unavailable.has(backend) || (opts.backends && !opts.backends.includes(backend))) continue;
        let step: Step | undefined;
        try {
          const active = await switchBackend(backend);
          step = buildStep(w);
          // The cpu backend takes seconds a step: fewer steps, said in the table.
          const { warmup, steps, seconds } = backend === "cpu" ? { warmup: 1, steps: 2, seconds: 0 } : phases(opts);
          const times = await timeSteps(step, warmup, steps, seconds);
          const runtime = `tfjs ${backend}${backend === "cpu" ? ` (${warmup}+${steps} steps)` : ""}`;
          const peak = opts.memory && round === 0 ? await peakStepBytes(step) : undefined;
          record({ model: w.model, runtime, threads: active.threads ?? 1, peakStepBytes: peak }, median(times));
          roundMs.set(runtime, median(times));
          log(`  tfjs ${backend}: ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
          if (opts.profile && round === 0) {
            const kernels = await profileStep(step);
            log(
              `  tf.profile ${backend} (ms, one step): ${kernels
                .slice(0, 14)
                .map(([k, ms]) => `${k} ${ms.toFixed(0)}`)
                .join(" · ")}`,
            );
          }
        } catch (err) {
          record({ model: w.model, runtime: `tfjs ${backend}`, threads: 1, note: `not run: ${(err as Error).message.split("\n")[0]}` });
        } finally {
          step?.dispose();
        }
      }
      for (const threads of opts.torchThreads ?? [1, 2]) {
        const row = torchRun(w, threads, opts);
        record(row.medianMs === undefined ? row : { ...row, medianMs: undefined }, row.medianMs);
        if (threads === 1 && row.medianMs !== undefined) roundMs.set("torch", row.medianMs);
        log(`  ${row.runtime} ${threads} thread(s): ${row.medianMs?.toFixed(1) ?? row.note} ms`);
      }
      const torch1 = roundMs.get("torch");
      if (rounds > 1 && torch1 !== undefined) {
        const ratios = [...roundMs].filter(([k]) => k !== "torch").map(([k, ms]) => `${k} ${(ms / torch1).toFixed(2)}x`);
        log(`  round ${round + 1}: ${ratios.join(", ")} of PyTorch 1 thread`);
      }
    }
    for (const { row, medians } of measured.values()) rows.push(medians.length ? { ...row, medianMs: median(medians) } : row);
  }
  await switchBackend(report.name);
  return rows;
}

function parseArgs(argv: string[]): TrainStepBenchOptions {
  const opts: TrainStepBenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") opts.only = argv[++i];
    else if (argv[i] === "--backends") opts.backends = argv[++i].split(",");
    else if (argv[i] === "--profile") opts.profile = true;
    else if (argv[i] === "--steps") opts.steps = Number(argv[++i]);
    else if (argv[i] === "--warmup") opts.warmup = Number(argv[++i]);
    else if (argv[i] === "--seconds") opts.seconds = Number(argv[++i]);
    else if (argv[i] === "--rounds") opts.rounds = Number(argv[++i]);
    else if (argv[i] === "--memory") opts.memory = true;
    else if (argv[i] === "--json") opts.json = true;
    else if (argv[i] === "--torch-threads") opts.torchThreads = argv[++i].split(",").filter(Boolean).map(Number);
    else if (argv[i] === "--python") opts.python = argv[++i];
    else
      throw new Error(
        `unknown argument ${argv[i]}; usage: train-step.js [--only small|yolov5n] [--backends wasm,cpu] [--profile] [--steps N] [--warmup N] [--seconds S] [--rounds N] [--memory] [--json] [--torch-threads 1,2] [--python /usr/bin/python3]`,
      );
  }
  return opts;
}

if (require.main === module) {
  const opts = parseArgs(process.argv.slice(2));
  runTrainStepBench(opts.json ? { ...opts, log: (l) => process.stderr.write(`${l}\n`) } : opts)
    .then((rows) => {
      console.log(opts.json ? rows.map((r) => JSON.stringify(r)).join("\n") : `\n${formatTable(rows)}`);
      appendLoadedModules();
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
