// %memory: what TensorFlow.js holds now (live tensors and bytes, per backend), the peak
// since reset, the process RSS and the wasm heap, the change since the previous %memory,
// and the tensors the previous cell left behind (leaks named by kernel and shape).
// --budget sets the toolkit's simulated device-memory budget.
import { defineMagic, parseMagicArgs, UsageError } from "./registry";
import { formatBytes } from "../display";
import { tensorTracker } from "./inspect/tensor-tracker";
import { cellLeftovers, leakLines } from "./inspect/leaks";
import { liveTensorCounts } from "../tfjs/internals";
import { signedBytes, thousands } from "./inspect/format";

interface Snapshot {
  cell: number;
  numTensors: number;
  numBytes: number;
  rss: number;
}
let previous: Snapshot | undefined;

function setBudget(value: string, usage: string): string {
  const train = require("../toolkit/train") as typeof import("../toolkit/train");
  if (/^(none|off|null)$/i.test(value)) {
    train.setMemoryBudget(null);
    return "Device-memory budget cleared (no limit).";
  }
  try {
    train.setMemoryBudget(value);
  } catch (e) {
    throw new UsageError(`%memory: --budget: ${(e as Error).message}`, usage);
  }
  return `Device-memory budget set to ${formatBytes(train.memoryBudget()!)} (simulated: steps run by the trainer or withMemoryBudget fail past it).`;
}

export const memoryMagic = defineMagic({
  name: "memory",
  kind: "line",
  usage: "%memory [--budget SIZE|none] [--reset]",
  help: `What TensorFlow.js holds: live tensors and their bytes (per backend when more than one),
the peak since the last reset, the process RSS and the wasm heap, the change since the
previous %memory, and the tensors the previous cell created and did not dispose (leaks,
named by the kernel and shape that made them; tensors a variable holds are listed as kept).
Tracking of tensor creation starts with the first %memory or %%memit.
--budget SIZE  sets the toolkit's device-memory budget ("16GiB", "512MiB", bytes); none clears it.
--reset        restarts the peak and the "change since" baseline.`,
  run(args, ctx) {
    const { values } = parseMagicArgs(this, args, { budget: { type: "string" }, reset: { type: "boolean" } }, false);
    const lines: string[] = [];
    if (values.budget !== undefined) lines.push(setBudget(String(values.budget), this.usage));

    const firstUse = !tensorTracker.installed;
    tensorTracker.install();
    const tf = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
    const { memoryInfo } = require("../tfjs") as typeof import("../tfjs");
    const mem = memoryInfo();
    const now: Snapshot = { cell: ctx.executionCount, numTensors: mem.numTensors, numBytes: mem.numBytes, rss: process.memoryUsage().rss };
    if (values.reset) {
      tensorTracker.resetPeak();
      previous = undefined;
    }

    lines.push(`Live tensors: ${thousands(mem.numTensors)} (${formatBytes(mem.numBytes)}) on ${tf.getBackend()}`);
    const byBackend = new Map<string, { n: number; bytes: number }>();
    for (const t of tensorTracker.live.values()) {
      const e = byBackend.get(t.backend) ?? { n: 0, bytes: 0 };
      e.n++;
      e.bytes += t.bytes;
      byBackend.set(t.backend, e);
    }
    if (byBackend.size > 1) {
      const untracked = mem.numTensors - tensorTracker.live.size;
      lines.push(
        `  by backend: ${[...byBackend].map(([b, e]) => `${b} ${thousands(e.n)} (${formatBytes(e.bytes)})`).join(", ")}${untracked > 0 ? `, ${thousands(untracked)} from before tracking began` : ""}`,
      );
    }
    lines.push(
      `Peak tensor bytes since ${values.reset ? "now (reset)" : firstUse ? "now (tracking starts)" : "reset"}: ${formatBytes(Math.max(tensorTracker.peakBytes, liveTensorCounts().numBytes))}`,
    );
    const heap = mem.wasmHeapBytes !== undefined ? `, wasm heap ${formatBytes(mem.wasmHeapBytes)}` : "";
    const gpu = mem.numBytesInGPU !== undefined ? `, GPU buffers ${formatBytes(mem.numBytesInGPU)}` : "";
    lines.push(`Process RSS: ${formatBytes(now.rss)}${heap}${gpu}`);
    const train = require("../toolkit/train") as typeof import("../toolkit/train");
    const budget = train.memoryBudget();
    if (budget !== null) lines.push(`Device-memory budget: ${formatBytes(budget)} (simulated)`);
    if (previous) {
      const dt = now.numTensors - previous.numTensors;
      lines.push(
        `Change since %memory in In[${previous.cell}]: ${dt >= 0 ? "+" : ""}${thousands(dt)} tensors, ${signedBytes(now.numBytes - previous.numBytes, formatBytes)}; RSS ${signedBytes(now.rss - previous.rss, formatBytes)}`,
      );
    }
    if (firstUse) {
      lines.push("Tensor tracking starts now: from the next cell on, %memory reports the tensors each cell left behind.");
    } else {
      const cell = ctx.executionCount - 1;
      const left = cellLeftovers(tensorTracker.live.values(), cell, ctx.namespace);
      const report = leakLines(cell, left);
      lines.push(...(report.length ? report : [`In[${cell}] left no tensors behind.`]));
    }
    previous = now;
    ctx.print(`${lines.join("\n")}\n`);
  },
});
