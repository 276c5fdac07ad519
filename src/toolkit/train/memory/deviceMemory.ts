import * as tf from "@tensorflow/tfjs";
import { AllocationFailure, AllocatorBlock, AllocatorStats, CachingAllocator } from "./cachingAllocator";
import { discardAbandonedTape, engineInternals, liveBuffers } from "./engineInternals";
import { OutOfMemoryDetails, OutOfMemoryError } from "./outOfMemoryError";

/** Memory figures of one measured phase (a training step, a validation pass, ...). */
export interface PhaseMemory {
  phase: string;
  /** Live TensorFlow.js buffer bytes at the start, at the peak and at the end of the phase (measured). */
  startBytes: number;
  peakBytes: number;
  endBytes: number;
  /** The caching-allocator model's reserved bytes before and after the phase (high-water, never shrinks). */
  reservedBefore: number;
  reservedAfter: number;
}

/** A phase in progress; `signal` may be cleared to make a critical section (optimizer update) non-abortable. */
export interface MemoryPhase {
  readonly name: string;
  signal?: AbortSignal;
  peakBytes: number;
}

/** Frees the tensors of a result that will not be returned (shallow: tensor, array or record of tensors). */
function disposeTensors(value: unknown): void {
  if (value instanceof tf.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeTensors);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach((v) => v instanceof tf.Tensor && v.dispose());
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error(typeof reason === "string" ? reason : "The operation was aborted");
  e.name = "AbortError";
  return e;
}

/**
 * One simulated device for the process: every TensorFlow.js data buffer allocated or freed
 * while a phase is measured is replayed into a CachingAllocator (see cachingAllocator.ts),
 * whose capacity is the declared memory budget. Hooks sit on the engine only while at
 * least one phase runs. An allocation over budget is recorded when it happens and thrown
 * as OutOfMemoryError at the next top-level kernel boundary, where unwinding is safe.
 */
class DeviceMemoryModel {
  allocator = new CachingAllocator();
  private blocks = new Map<object, { block?: AllocatorBlock; bytes: number }>();
  private liveBytes = 0;
  private readonly active: MemoryPhase[] = [];
  private pending: OutOfMemoryDetails | null = null;
  private uninstall?: () => void;
  budget: number | null = null;
  readonly history: PhaseMemory[] = [];

  setBudget(bytes: number | null): void {
    this.budget = bytes;
    this.allocator.capacity = bytes ?? Infinity;
  }

  stats(): AllocatorStats & { capacity: number | null; simulated: boolean; liveBytes: number } {
    return { ...this.allocator.stats(), capacity: this.budget, simulated: true, liveBytes: this.liveBytes };
  }

  /** Starts from an empty cache, as a fresh process would. */
  reset(): void {
    if (this.active.length) throw new Error("cannot reset device memory while a phase is measured");
    this.allocator = new CachingAllocator(this.budget ?? Infinity);
    this.blocks.clear();
    this.liveBytes = 0;
    this.history.length = 0;
  }

  /**
   * Runs `fn` against a fresh, unlimited allocator model (as after torch.cuda.empty_cache()
   * in a new process) and restores the real one afterwards; AutoBatch profiles this way.
   */
  async isolated<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active.length) throw new Error("cannot profile in isolation while a phase is measured");
    const saved = { allocator: this.allocator, blocks: this.blocks, liveBytes: this.liveBytes };
    this.allocator = new CachingAllocator(Infinity);
    this.blocks = new Map();
    this.liveBytes = 0;
    try {
      return await fn();
    } finally {
      Object.assign(this, saved);
    }
  }

  /** torch.cuda.empty_cache(). */
  emptyCache(): void {
    this.allocator.releaseFreeSegments();
  }

  async measure<T>(name: string, fn: (phase: MemoryPhase) => T | Promise<T>, signal?: AbortSignal): Promise<{ result: T; memory: PhaseMemory }> {
    if (this.active.length === 0) this.attach();
    const phase: MemoryPhase = { name, signal, peakBytes: this.liveBytes };
    const startBytes = this.liveBytes, reservedBefore = this.allocator.stats().reserved;
    this.active.push(phase);
    let result: T;
    try {
      result = await fn(phase);
      if (this.pending) disposeTensors(result);
      this.throwIfPending(phase);
    } catch (e) {
      this.pending = null;
      discardAbandonedTape();
      throw e;
    } finally {
      this.active.splice(this.active.indexOf(phase), 1);
      if (this.active.length === 0) this.detach();
    }
    const memory: PhaseMemory = { phase: name, startBytes, peakBytes: phase.peakBytes, endBytes: this.liveBytes, reservedBefore, reservedAfter: this.allocator.stats().reserved };
    this.history.push(memory);
    if (this.history.length > 1000) this.history.shift();
    return { result, memory };
  }

  /** Throws a recorded out-of-memory failure or an abort; called at safe points. */
  private throwIfPending(phase?: MemoryPhase): void {
    if (this.pending) {
      const d = { ...this.pending, phase: this.pending.phase ?? phase?.name };
      this.pending = null;
      throw new OutOfMemoryError(d);
    }
    for (const p of this.active) if (p.signal?.aborted) throw abortError(p.signal);
  }

  private onAllocate(dataId: object, bytes: number): void {
    this.liveBytes += bytes;
    for (const p of this.active) p.peakBytes = Math.max(p.peakBytes, this.liveBytes);
    const entry: { block?: AllocatorBlock; bytes: number } = { bytes };
    try {
      entry.block = this.allocator.allocate(bytes);
    } catch (e) {
      if (!(e instanceof AllocationFailure)) throw e;
      this.pending ??= {
        requested: e.requested, capacity: e.capacity, allocated: e.stats.allocated, reserved: e.stats.reserved,
        phase: this.active[this.active.length - 1]?.name, simulated: true, backend: tf.getBackend(),
      };
    }
    this.blocks.set(dataId, entry);
  }

  private onFree(dataId: object): void {
    const entry = this.blocks.get(dataId);
    if (!entry) return;
    this.blocks.delete(dataId);
    this.liveBytes -= entry.bytes;
    if (entry.block) this.allocator.free(entry.block);
  }

  /** Replays what changed while unobserved, then wraps the engine methods. */
  private attach(): void {
    const live = new Map(liveBuffers());
    for (const id of [...this.blocks.keys()]) if (!live.has(id)) this.onFree(id);
    for (const [id, bytes] of live) if (!this.blocks.has(id)) this.onAllocate(id, bytes);

    const engine = engineInternals();
    const { trackTensor, removeDataId, runKernelFunc } = engine;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const model = this;
    engine.trackTensor = function (this: typeof engine, t: tf.Tensor, backend: unknown) {
      const isNew = !this.state.tensorInfo.has(t.dataId as object);
      trackTensor.call(this, t, backend);
      if (isNew) model.onAllocate(t.dataId as object, this.state.tensorInfo.get(t.dataId as object)?.bytes ?? 0);
    };
    engine.removeDataId = function (this: typeof engine, dataId: object, backend: unknown) {
      const had = this.state.tensorInfo.has(dataId);
      removeDataId.call(this, dataId, backend);
      if (had && !this.state.tensorInfo.has(dataId)) model.onFree(dataId);
    };
    engine.runKernelFunc = function (this: typeof engine, params: unknown) {
      if (this.state.kernelDepth === 0) model.throwIfPending();
      return runKernelFunc.call(this, params);
    };
    // the wrappers are own properties; restoring the prototype methods means deleting them
    this.uninstall = () => {
      delete (engine as Partial<typeof engine>).trackTensor;
      delete (engine as Partial<typeof engine>).removeDataId;
      delete (engine as Partial<typeof engine>).runKernelFunc;
      if (engine.trackTensor !== trackTensor) Object.assign(engine, { trackTensor, removeDataId, runKernelFunc });
    };
  }

  private detach(): void {
    this.uninstall?.();
    this.uninstall = undefined;
  }
}

/** The process's simulated device. */
export const deviceMemory = new DeviceMemoryModel();
