import * as tf from "@tensorflow/tfjs";
import { parseBytes } from "./format";
import { deviceMemory, type MemoryPhase, type PhaseMemory } from "./device-memory";

/**
 * Declares the device memory size the toolkit behaves as if it had ("16GiB", bytes, or
 * null for no limit). Steps run by the trainer and code wrapped in `withMemoryBudget`
 * fail with a CUDA-style OutOfMemoryError when the caching-allocator model would exceed it.
 * No backend here reports device memory (WebGPU has no such API), so the limit is always
 * simulated, and the error says so.
 */
export function setMemoryBudget(budget: number | string | null): void {
  deviceMemory.setBudget(budget === null ? null : parseBytes(budget));
}

/** The declared budget in bytes, or null. */
export function memoryBudget(): number | null {
  return deviceMemory.budget;
}

/** Allocated/reserved figures of the memory model (PyTorch's memory_allocated/memory_reserved). */
export function deviceMemoryStats() {
  return { ...deviceMemory.stats(), backend: tf.getBackend(), phases: [...deviceMemory.history] };
}

/** Forgets the cache and the phase history, as a restarted process would. */
export function resetDeviceMemory(): void {
  deviceMemory.reset();
}

/** torch.cuda.empty_cache(): releases cached segments no tensor uses. */
export function emptyCache(): void {
  deviceMemory.emptyCache();
}

/** Runs `fn` as a measured phase under the memory budget; returns its result and the phase's figures. */
export function measureMemory<T>(
  fn: (phase: MemoryPhase) => T | Promise<T>,
  opts: { phase?: string; signal?: AbortSignal } = {},
): Promise<{ result: T; memory: PhaseMemory }> {
  return deviceMemory.measure(opts.phase ?? "phase", fn, opts.signal);
}

/** Runs `fn` under the memory budget (for validation code): throws OutOfMemoryError past it. */
export async function withMemoryBudget<T>(fn: () => T | Promise<T>, opts: { phase?: string; signal?: AbortSignal } = {}): Promise<T> {
  return (await measureMemory(fn, opts)).result;
}
