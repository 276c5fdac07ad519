// Training steps by thread count: tfjs-lab on wasm and PyTorch (Debian's python3-torch) at the
// same thread counts, 1 and 2 and, on a machine with more cores, 4, 8 and 16. The wasm
// backend's threads are fixed when it starts, so each tfjs-lab measurement is a process of its
// own (train-step.js --json, TFJS_LAB_WASM_THREADS=N). tfjs-lab and PyTorch take turns for
// `rounds` rounds: each figure is the median of its rounds' medians and each round's ratio is
// printed, because on a shared machine the load moves within minutes. One step's peak tensor
// memory (above what was held before the step) is measured on both sides in the first round.
//   node dist/bench/toolkit/train-threads.js [--rounds N] [--threads 1,2] [--only small|yolov5n] [--steps N] [--warmup N] [--seconds S] [--python /usr/bin/python3]
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { type BenchRow, describePhases, median, phaseArgs, torchRun, WORKLOADS } from "./train-step";
import { appendLoadedModules } from "../module-trace";

export interface ThreadsBenchOptions {
  rounds?: number;
  threads?: number[];
  only?: string;
  steps?: number;
  warmup?: number;
  /** The least seconds the warm-up and the timed steps each last (train-step.ts). */
  seconds?: number;
  /** The Python with PyTorch (Debian's /usr/bin/python3 unless given). */
  python?: string;
  log?: (line: string) => void;
}

export interface ThreadsRow {
  model: string;
  threads: number;
  /** Threads tfjs-lab's backend ran (fewer than asked where its threaded build could not start), and how its kernels ran. */
  tfjsThreads?: number;
  tfjsBackend?: string;
  tfjsMs?: number;
  torchMs?: number;
  roundRatios: number[];
  tfjsPeakBytes?: number;
  torchPeakBytes?: number;
  torchVersion?: string;
  note?: string;
}

const TRAIN_STEP_JS = path.join(__dirname, "train-step.js");

/** 1 and 2 threads always; 4, 8, 16 where the machine has that many cores. */
export function benchThreadCounts(cores = os.cpus().length): number[] {
  return [1, 2, 4, 8, 16].filter((t) => t <= Math.max(2, cores));
}

/** One tfjs-lab process on wasm with `threads` threads: its row, and the backend line it logged. */
function tfjsRun(
  model: string,
  threads: number,
  opts: ThreadsBenchOptions,
  memory: boolean,
): { row?: BenchRow; backend?: string; error?: string } {
  try {
    const r = execFileSync(
      process.execPath,
      [
        TRAIN_STEP_JS,
        "--only",
        model,
        "--backends",
        "wasm",
        "--json",
        "--torch-threads",
        "",
        ...phaseArgs(opts),
        ...(memory ? ["--memory"] : []),
      ],
      {
        env: { ...process.env, TFJS_LAB_WASM_THREADS: String(threads) },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 900_000,
      },
    );
    const row = r
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as BenchRow)[0];
    return row?.medianMs !== undefined ? { row } : { error: row?.note ?? "no result" };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { error: e.stderr?.trim().split("\n").pop() ?? e.message };
  }
}

export async function runThreadsBench(opts: ThreadsBenchOptions = {}): Promise<ThreadsRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rounds = opts.rounds ?? 3;
  const counts = opts.threads ?? benchThreadCounts();
  const rows: ThreadsRow[] = [];
  for (const w of WORKLOADS.filter((x) => !opts.only || x.model === opts.only)) {
    log(`${w.model}: batch ${w.batch}, ${w.size}x${w.size}, threads ${counts.join(", ")}, ${rounds} rounds of ${describePhases(opts)}`);
    const perCount = new Map<number, { tfjs: number[]; torch: number[]; row: ThreadsRow }>();
    for (const t of counts) perCount.set(t, { tfjs: [], torch: [], row: { model: w.model, threads: t, roundRatios: [] } });
    for (let round = 0; round < rounds; round++) {
      for (const t of counts) {
        const entry = perCount.get(t)!;
        const memory = round === 0;
        const ours = tfjsRun(w.model, t, opts, memory);
        const torch = torchRun(w, t, { steps: opts.steps, warmup: opts.warmup, seconds: opts.seconds, memory, python: opts.python });
        if (ours.row?.medianMs !== undefined) {
          entry.tfjs.push(ours.row.medianMs);
          entry.row.tfjsThreads = ours.row.threads;
          if (memory) entry.row.tfjsPeakBytes = ours.row.peakStepBytes;
        } else entry.row.note = `tfjs-lab: ${ours.error}`;
        if (torch.medianMs !== undefined) {
          entry.torch.push(torch.medianMs);
          entry.row.torchVersion = torch.runtime;
          if (memory) entry.row.torchPeakBytes = torch.peakStepBytes;
        } else entry.row.note = `${entry.row.note ? `${entry.row.note}; ` : ""}PyTorch: ${torch.note}`;
        const ratio = ours.row?.medianMs !== undefined && torch.medianMs !== undefined ? ours.row.medianMs / torch.medianMs : undefined;
        if (ratio !== undefined) entry.row.roundRatios.push(ratio);
        log(
          `  round ${round + 1}, ${t} thread(s): tfjs-lab ${ours.row?.medianMs?.toFixed(1) ?? ours.error} ms, ` +
            `PyTorch ${torch.medianMs?.toFixed(1) ?? torch.note} ms${ratio !== undefined ? `, ${ratio.toFixed(2)}x` : ""}`,
        );
      }
    }
    for (const { tfjs, torch, row } of perCount.values()) {
      rows.push({ ...row, tfjsMs: tfjs.length ? median(tfjs) : undefined, torchMs: torch.length ? median(torch) : undefined });
    }
  }
  return rows;
}

const mib = (b?: number) => (b === undefined ? "" : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** Whether tfjs-lab's backend ran fewer threads than the row's count (its threaded build did not start). */
function ranFewerThreads(r: ThreadsRow): boolean {
  return r.tfjsThreads !== undefined && r.tfjsThreads !== r.threads;
}

export function formatThreadsTable(rows: ThreadsRow[]): string {
  const lines = [
    "| model | threads | tfjs-lab wasm, ms | PyTorch, ms | ratio (each round) | peak step memory, tfjs-lab | PyTorch | ratio |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const threads = ranFewerThreads(r) ? `${r.threads} (tfjs-lab ${r.tfjsThreads})` : `${r.threads}`;
    const ratio =
      r.tfjsMs !== undefined && r.torchMs
        ? `**${(r.tfjsMs / r.torchMs).toFixed(2)}x** (${r.roundRatios.map((x) => x.toFixed(2)).join(", ")})`
        : (r.note ?? "");
    const memRatio = r.tfjsPeakBytes && r.torchPeakBytes ? `${(r.tfjsPeakBytes / r.torchPeakBytes).toFixed(2)}x` : "";
    lines.push(
      `| ${r.model} | ${threads} | ${r.tfjsMs?.toFixed(1) ?? ""} | ${r.torchMs?.toFixed(1) ?? ""} | ${ratio} | ${mib(r.tfjsPeakBytes)} | ${mib(r.torchPeakBytes)} | ${memRatio} |`,
    );
  }
  return lines.join("\n");
}

function parseArgs(argv: string[]): ThreadsBenchOptions {
  const opts: ThreadsBenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--rounds") opts.rounds = Number(argv[++i]);
    else if (argv[i] === "--threads") opts.threads = argv[++i].split(",").map(Number);
    else if (argv[i] === "--only") opts.only = argv[++i];
    else if (argv[i] === "--steps") opts.steps = Number(argv[++i]);
    else if (argv[i] === "--warmup") opts.warmup = Number(argv[++i]);
    else if (argv[i] === "--seconds") opts.seconds = Number(argv[++i]);
    else if (argv[i] === "--python") opts.python = argv[++i];
    else
      throw new Error(
        `unknown argument ${argv[i]}; usage: train-threads.js [--rounds N] [--threads 1,2] [--only small|yolov5n] [--steps N] [--warmup N] [--seconds S] [--python /usr/bin/python3]`,
      );
  }
  return opts;
}

if (require.main === module) {
  const opts = parseArgs(process.argv.slice(2));
  runThreadsBench({ ...opts, log: (l) => process.stderr.write(`${l}\n`) })
    .then((rows) => {
      console.log(`\n${formatThreadsTable(rows)}`);
      appendLoadedModules();
      // A missing figure, or tfjs-lab on fewer threads than asked (the table says which), fails the
      // command, so that the GPU package's smoke run sees a file the package lacks.
      const short = (r: ThreadsRow) => r.tfjsMs === undefined || r.torchMs === undefined || ranFewerThreads(r);
      if (rows.some(short)) process.exitCode = 1;
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
