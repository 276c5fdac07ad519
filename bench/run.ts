// `npm run bench`: every benchmark of the project in one command, each comparing tfjs-lab
// with the real alternative in the same run (vanilla tslab, PyTorch from Debian's
// python3-torch), printed as tables with ratios.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { magicOverhead } from "./engine/magic-overhead";
import { runTrainStepBench, formatTable } from "./toolkit/train-step";
import { runThreadsBench, formatThreadsTable } from "./toolkit/train-threads";
import { convBenchByThreads, formatConvThreadsTable } from "./toolkit/conv-gradients";
import { benchThreadCounts } from "./toolkit/train-threads";
import { stepBreakdown } from "./toolkit/step-breakdown";
import { datasetOpenBench, formatDatasetOpenTable } from "./data/dataset-open";
import { prepareGpuBench } from "./gpu/pack-gpu";
import { staticFigureBench, formatStaticFigureTable } from "./display/static-figure";

const ROOT = path.resolve(__dirname, "..", "..");

interface KernelRow {
  kernel: string;
  startup_ms: number;
  trivial_ms: number;
  new_cell_ms: number;
  loop_top_ms: number;
  loop_block_ms: number;
}

function kernelBench(): KernelRow[] {
  const ours = JSON.stringify([process.execPath, path.join(ROOT, "dist/src/cli/main.js"), "kernel", "{connection_file}"]);
  const tslab = JSON.stringify([
    process.execPath,
    path.join(ROOT, "node_modules/tslab/bin/tslab"),
    "kernel",
    "--config-path",
    "{connection_file}",
  ]);
  const r = spawnSync("/usr/bin/python3", [path.join(ROOT, "bench/kernel/kernel_bench.py"), `tfjs-lab=${ours}`, `tslab=${tslab}`], {
    encoding: "utf8",
    timeout: 900_000,
  });
  if (r.status !== 0) throw new Error(`kernel bench failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

function kernelTable(rows: KernelRow[]): string {
  const [a, b] = [rows.find((r) => r.kernel === "tfjs-lab")!, rows.find((r) => r.kernel === "tslab")!];
  const line = (name: string, key: keyof KernelRow, target: string) =>
    `| ${name} | ${(a[key] as number).toFixed(1)} ms | ${(b[key] as number).toFixed(1)} ms | ${((a[key] as number) / (b[key] as number)).toFixed(2)}x | ${target} |`;
  return [
    "| kernel (median, one run) | tfjs-lab | vanilla tslab 1.0.22 | ratio | target |",
    "|---|---|---|---|---|",
    line("launch -> first kernel_info_reply", "startup_ms", "< 1 s"),
    line("trivial cell round trip", "trivial_ms", "< 5 ms"),
    line("trivial cell never seen before", "new_cell_ms", "none set"),
    line("10^7 loop on a top-level let", "loop_top_ms", "within 2x of block"),
    line("same loop in a block", "loop_block_ms", ""),
    `| top-level loop / block loop | ${(a.loop_top_ms / a.loop_block_ms).toFixed(2)}x | ${(b.loop_top_ms / b.loop_block_ms).toFixed(1)}x | | <= 2x |`,
  ].join("\n");
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  if (want("kernel")) {
    process.stdout.write(`\n## Kernel (through Debian's jupyter_client)\n\n${kernelTable(kernelBench())}\n`);
  }
  if (want("magics")) {
    const m = await magicOverhead();
    process.stdout.write(
      `\n## Magic layer on cells without magics\n\nparse of a 16-line cell: ${m.parseUs.toFixed(1)} µs; trivial cell through the engine: ${m.cellMs.toFixed(2)} ms; the magic layer's share: ${(m.share * 100).toFixed(2)}%\n` +
        `an 800-op tensor cell: ${m.tensorCellMs.toFixed(1)} ms; the same after %memory turned tensor tracking on: ${m.tensorCellTrackedMs.toFixed(1)} ms (${(m.tensorCellTrackedMs / m.tensorCellMs).toFixed(2)}x)\n`,
    );
  }
  if (want("conv")) {
    // One process per thread count: ours on kernel threads, XNNPACK on its own threads.
    process.stdout.write(
      "\n## Convolution kernels on wasm (YOLOv5n's shapes), by thread count\n\n" +
        formatConvThreadsTable(convBenchByThreads(benchThreadCounts().filter((t) => t <= 8))) +
        "\n",
    );
  }
  if (want("data")) {
    process.stdout.write(
      `\n## Opening a dataset of 3,000 images (first scan, then the label cache)\n\n${formatDatasetOpenTable(await datasetOpenBench())}\n`,
    );
  }
  if (want("figures")) {
    process.stdout.write(
      `\n## Static figure images (tfjs-lab's renderer vs plotly.js in Chromium)\n\n${formatStaticFigureTable(await staticFigureBench())}\n`,
    );
  }
  if (only.includes("gpu"))
    process.stdout.write(
      `\n## GPU run: YOLOv5n step on WebGPU vs PyTorch CUDA (prepared here, run on the GPU machine)\n\n${await prepareGpuBench()}\n`,
    );
  if (want("train")) {
    // tfjs-lab on wasm and PyTorch at the same thread counts, taking turns for three rounds.
    const rows = await runThreadsBench({ rounds: 3, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(
      "\n## Training step by thread count (tfjs-lab wasm vs PyTorch CPU, same architecture, same threads)\n\n" +
        formatThreadsTable(rows) +
        "\n",
    );
  }
  if (want("breakdown")) {
    // Where the training step's time goes on each side, by kind of work, at 1 and 2 threads.
    for (const threads of [1, 2])
      process.stdout.write(
        `\n## Where YOLOv5n's training step goes, ${threads} thread(s) (tfjs-lab wasm vs PyTorch CPU)\n\n${stepBreakdown("yolov5n", threads)}\n`,
      );
  }
  if (want("train-backends")) {
    // The other TensorFlow.js backends available here (tfjs-node, plain JavaScript) next to PyTorch on 1 thread.
    const rows = await runTrainStepBench({
      backends: ["tensorflow", "cpu"],
      torchThreads: [1],
      log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(`\n## Training step on the other TensorFlow.js backends\n\n${formatTable(rows)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
