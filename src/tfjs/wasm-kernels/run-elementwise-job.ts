// Runs an element-wise SIMD kernel (elementwise-parts.ts) on as many kernel threads as pay,
// as run-conv-job.ts does for the convolutions.
import { kernelThreadsFor } from "./kernel-threads";
import type { KernelCalls } from "./kernel-calls";

/**
 * Element-wise kernels: `minValuesPerPart` values (read and written once each) take about as
 * long as waking a thread; fewer make fewer parts. `maxParts` as for convolutions.
 */
export const elementwiseThreads = { minValuesPerPart: 128 * 1024, maxParts: Infinity };

/** Parts an element-wise kernel over `values` values runs in now (1 without kernel threads). */
export function elementwiseParts(calls: KernelCalls, values: number): number {
  const pool = kernelThreadsFor(calls.wasmMemory);
  if (!pool) return 1;
  const byWork = elementwiseThreads.minValuesPerPart > 0 ? Math.floor(values / elementwiseThreads.minValuesPerPart) : Infinity;
  return Math.max(1, Math.min(pool.threads, byWork, elementwiseThreads.maxParts));
}

/** Runs thread job `job` (thread-jobs.ts) on `parts` parts: `runPart` is how the main thread runs one. */
export function runOnKernelThreads(
  calls: KernelCalls,
  job: number,
  payload: number[],
  parts: number,
  runPart: (payload: Int32Array, part: number) => void,
): void {
  const p = Int32Array.from(payload);
  if (parts === 1) {
    runPart(p, 0);
    return;
  }
  kernelThreadsFor(calls.wasmMemory)!.run(job, p, parts, (part) => runPart(p, part));
}
