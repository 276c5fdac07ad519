// Runs an element-wise SIMD kernel (elementwise-parts.ts) on as many kernel threads as pay,
// as run-conv-job.ts does for the convolutions.
import { kernelThreadsFor } from "./kernel-threads";
import type { KernelCalls } from "./kernel-calls";

/**
 * Element-wise kernels: parts of at least `minValuesPerPart` values (about 15 us of work), up
 * to `partsPerThread` for each thread, so that a thread that starts late leaves fewer values
 * behind. `maxParts` as for convolutions.
 */
export const elementwiseThreads = { minValuesPerPart: 32 * 1024, partsPerThread: 4, maxParts: Infinity };

/** Parts an element-wise kernel over `values` values runs in now (1 without kernel threads). */
export function elementwiseParts(calls: KernelCalls, values: number): number {
  const pool = kernelThreadsFor(calls.wasmMemory);
  if (!pool) return 1;
  const byWork = elementwiseThreads.minValuesPerPart > 0 ? Math.floor(values / elementwiseThreads.minValuesPerPart) : Infinity;
  return Math.max(1, Math.min(elementwiseThreads.partsPerThread * pool.threads, byWork, elementwiseThreads.maxParts));
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
