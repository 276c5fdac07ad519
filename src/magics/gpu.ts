// %gpu: what the GPU side holds: the backend in use, each GPU's name and memory from
// nvidia-smi (when it is installed), and the backend's own GPU figures (webgpu's
// numBytesInGPU / numBytesAllocatedInGPU). On webgpu, the device's adapter and the buffers
// tfjs-backend-webgpu's BufferManager holds. Without a GPU, one line saying so.
import { spawnSync } from "node:child_process";
import { defineMagic, parseMagicArgs, UsageError } from "./registry";
import { formatBytes } from "../display";
import { showTable } from "./inspect/show-table";
import type { WebgpuDeviceMemory } from "../tfjs/webgpu";

export interface GpuRow {
  index: number;
  name: string;
  usedMiB: number;
  totalMiB: number;
}

export type SmiResult = { kind: "absent" } | { kind: "failed"; message: string } | { kind: "ok"; gpus: GpuRow[] };

/** Reads nvidia-smi's CSV (index, name, memory.used, memory.total in MiB, no header). */
export function parseSmiCsv(csv: string): GpuRow[] {
  return csv
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const cells = line.split(",").map((c) => c.trim());
      const [name, used, total] = cells.length >= 4 ? cells.slice(1) : cells;
      return { index: cells.length >= 4 ? Number(cells[0]) : i, name, usedMiB: Number(used), totalMiB: Number(total) };
    });
}

export function queryNvidiaSmi(): SmiResult {
  const r = spawnSync("nvidia-smi", ["--query-gpu=index,name,memory.used,memory.total", "--format=csv,noheader,nounits"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { kind: "absent" } : { kind: "failed", message: r.error.message };
  }
  if (r.status !== 0) {
    const first = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
    return { kind: "failed", message: first || `exit status ${r.status}` };
  }
  const gpus = parseSmiCsv(r.stdout);
  return gpus.length ? { kind: "ok", gpus } : { kind: "failed", message: "nvidia-smi listed no GPU" };
}

const GPU_BACKENDS = new Set(["webgpu", "webgl", "tensorflow"]);

/** The webgpu device's lines: its adapter, then its buffers in use and pooled for reuse. */
export function describeWebgpuMemory(m: WebgpuDeviceMemory): string[] {
  const lines: string[] = [];
  if (m.adapter) lines.push(`WebGPU adapter: ${m.adapter.name}${m.adapter.software ? ` (software: ${m.adapter.why})` : ""}`);
  const pooled = m.bytesAllocated - m.bytesInUse;
  lines.push(
    `WebGPU buffers: ${formatBytes(m.bytesInUse)} in use in ${m.buffersInUse} buffers; ` +
      `${formatBytes(m.bytesAllocated)} allocated (${formatBytes(Math.max(0, pooled))} in ${m.buffersPooled} freed buffers kept for reuse)`,
  );
  if (m.maxBufferSize !== undefined) {
    lines.push(
      `WebGPU limits: largest buffer ${formatBytes(m.maxBufferSize)}` +
        `${m.maxStorageBufferBindingSize !== undefined ? `, largest storage binding ${formatBytes(m.maxStorageBufferBindingSize)}` : ""}`,
    );
  }
  return lines;
}

export const gpuMagic = defineMagic({
  name: "gpu",
  kind: "line",
  usage: "%gpu",
  help: `The GPU side: the TensorFlow.js backend in use; each GPU's name and memory used / total
(from nvidia-smi when it is installed); and the backend's own GPU figures (webgpu: the
adapter, bytes in GPU buffers in use and allocated, freed buffers kept for reuse, buffer
limits). Without a GPU, one line saying so and which backend runs instead.`,
  run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {}, true);
    if (positionals.length) throw new UsageError(`%gpu: takes no arguments; got '${positionals.join(" ")}'`, this.usage);
    const tf = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
    const { memoryInfo } = require("../tfjs") as typeof import("../tfjs");
    const backend = tf.getBackend();
    const { webgpuDeviceMemory } = require("../tfjs/webgpu") as typeof import("../tfjs/webgpu");
    const mem = memoryInfo();
    const smi = queryNvidiaSmi();
    const webgpu = webgpuDeviceMemory();
    const backendGpu = webgpu
      ? describeWebgpuMemory(webgpu).join("\n")
      : mem.numBytesInGPU !== undefined
        ? `${backend} holds ${formatBytes(mem.numBytesInGPU)} in GPU buffers${mem.numBytesAllocatedInGPU !== undefined ? ` (${formatBytes(mem.numBytesAllocatedInGPU)} allocated)` : ""}`
        : undefined;

    if (smi.kind !== "ok" && !backendGpu && !GPU_BACKENDS.has(backend)) {
      const why = smi.kind === "absent" ? "nvidia-smi not found" : `nvidia-smi failed: ${smi.message}`;
      ctx.print(`No GPU (${why}); TensorFlow.js runs on the ${backend} backend (CPU).\n`);
      return;
    }
    ctx.print(`Backend in use: ${backend}${GPU_BACKENDS.has(backend) ? "" : " (CPU: TensorFlow.js does not use the GPU below)"}\n`);
    const lines: string[] = [];
    if (smi.kind === "ok") {
      const aq = require("arquero") as typeof import("arquero");
      showTable(
        ctx,
        aq.table({
          gpu: smi.gpus.map((g) => g.index),
          name: smi.gpus.map((g) => g.name),
          "used MiB": smi.gpus.map((g) => g.usedMiB),
          "total MiB": smi.gpus.map((g) => g.totalMiB),
          "used %": smi.gpus.map((g) => (g.totalMiB > 0 ? Number(((100 * g.usedMiB) / g.totalMiB).toFixed(1)) : null)),
        }),
      );
    } else {
      lines.push(smi.kind === "absent" ? "nvidia-smi not found: no per-GPU figures." : `nvidia-smi failed: ${smi.message}`);
    }
    if (backendGpu) lines.push(backendGpu);
    if (lines.length) ctx.print(`${lines.join("\n")}\n`);
  },
});
