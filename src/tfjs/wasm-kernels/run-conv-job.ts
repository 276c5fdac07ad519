// Runs a SIMD convolution job (conv-job.ts) on as many kernel threads as pay: one part per
// thread where the backend has kernel threads (kernel-threads.ts), on the main thread alone
// otherwise. The three convolution kernels call this and nothing else to run.
import { type ConvJob, encodeConvJob, maxConvJobParts, runConvJobPart, CONV_JOB_LENGTH } from "./conv-job";
import { segmentListLength } from "./conv-row-runs";
import { kernelThreadsFor } from "./kernel-threads";
import { CONV_THREAD_JOB } from "./thread-jobs";
import type { KernelCalls } from "./kernel-calls";
import { wasmThreadsInUse } from "../wasm-threads";

/**
 * `minFlopsPerPart`: waking a sleeping thread and waiting for it costs tens of microseconds,
 * what our kernels do in about 2 MFLOP; smaller convolutions get fewer parts.
 * `maxParts`: for tests and benchmarks (Infinity: every thread).
 */
export const convThreads = { minFlopsPerPart: 2e6, maxParts: Infinity };

/**
 * Whether our kernels use every thread the backend has: it has one, or it has kernel threads.
 * Where it has threads and no kernel threads, XNNPACK's threaded forms beat ours on one.
 */
export function singleThreadOrKernelThreads(memory: WebAssembly.Memory | undefined): boolean {
  return wasmThreadsInUse() === 1 || kernelThreadsFor(memory) !== undefined;
}

/** The job's multiply-adds times 2 (its FLOPs), over every output pixel and filter tap. */
function convFlops(job: Omit<ConvJob, "segmentsAt" | "segmentsLength">): number {
  const { g, outChannels } = job;
  return 2 * g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels * outChannels;
}

/** Parts the job would run in now: 1 without kernel threads. */
export function convJobParts(calls: KernelCalls, job: Omit<ConvJob, "segmentsAt" | "segmentsLength">): number {
  const pool = kernelThreadsFor(calls.wasmMemory);
  if (!pool) return 1;
  const byWork = Math.floor(convFlops(job) / convThreads.minFlopsPerPart);
  return Math.max(1, Math.min(pool.threads, maxConvJobParts(job as ConvJob), byWork, convThreads.maxParts));
}

export function runConvJob(calls: KernelCalls, job: Omit<ConvJob, "segmentsAt" | "segmentsLength">): void {
  const memory = calls.wasmMemory!;
  const kernels = calls.simd!;
  const parts = convJobParts(calls, job);
  const segmentsLength = segmentListLength(job.g, job.rowsPerChunk);
  calls.scoped((tmp) => {
    // One segment list per part, on the heap where the kernels read them.
    const lists = tmp(calls.backendMakeOutput([parts * segmentsLength], "int32"));
    const full: ConvJob = { ...job, segmentsAt: calls.heapOf(lists).byteOffset, segmentsLength };
    if (parts === 1) {
      runConvJobPart(kernels, memory, full, 0, 1);
      return;
    }
    const payload = new Int32Array(CONV_JOB_LENGTH);
    encodeConvJob(full, payload);
    kernelThreadsFor(memory)!.run(CONV_THREAD_JOB, payload, parts, (part) => runConvJobPart(kernels, memory, full, part, parts));
  });
}
