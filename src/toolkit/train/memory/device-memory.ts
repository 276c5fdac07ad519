import * as tf from "@tensorflow/tfjs";
import { AllocationFailure, type AllocatorBlock, type AllocatorStats, CachingAllocator } from "./caching-allocator";
import { subscribeTfHooks } from "../../../tfjs/hooks";
import { discardAbandonedTape } from "../../../tfjs/scope-recovery";
import { tensorBytes } from "../../../tfjs/tensor-bytes";
import { type OutOfMemoryDetails, OutOfMemoryError } from "./out-of-memory-error";
import { pollInterrupt } from "../../interrupt";

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
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    Object.values(value).forEach((v) => v instanceof tf.Tensor && v.dispose());
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
 * while a phase is measured is replayed into a CachingAllocator (see caching-allocator.ts),
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
  private installed = false;
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
    // keep the buffers still alive; forget the cache
    this.allocator = new CachingAllocator(this.budget ?? Infinity);
    for (const e of this.blocks.values()) e.block = this.allocator.allocate(e.bytes, true);
    this.history.length = 0;
  }

  /**
   * Runs `fn` against a fresh, unlimited allocator model holding only the live buffers (as
   * after torch.cuda.empty_cache()), then replays what changed into the real one. AutoBatch
   * profiles this way.
   */
  async isolated<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active.length) throw new Error("cannot profile in isolation while a phase is measured");
    this.install();
    const saved = { allocator: this.allocator, blocks: this.blocks };
    this.allocator = new CachingAllocator(Infinity);
    this.blocks = new Map();
    for (const [id, e] of saved.blocks) this.blocks.set(id, { bytes: e.bytes, block: this.allocator.allocate(e.bytes) });
    try {
      return await fn();
    } finally {
      const inner = this.blocks;
      this.allocator = saved.allocator;
      this.blocks = saved.blocks;
      for (const id of [...this.blocks.keys()]) if (!inner.has(id)) this.onFree(id);
      this.liveBytes = [...this.blocks.values()].reduce((s, e) => s + e.bytes, 0);
      for (const [id, e] of inner) if (!this.blocks.has(id)) this.onAllocate(id, e.bytes);
    }
  }

  /** torch.cuda.empty_cache(). */
  emptyCache(): void {
    this.allocator.releaseFreeSegments();
  }

  async measure<T>(
    name: string,
    fn: (phase: MemoryPhase) => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ result: T; memory: PhaseMemory }> {
    this.install();
    const phase: MemoryPhase = { name, signal, peakBytes: this.liveBytes };
    const startBytes = this.liveBytes,
      reservedBefore = this.allocator.stats().reserved;
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
    }
    const memory: PhaseMemory = {
      phase: name,
      startBytes,
      peakBytes: phase.peakBytes,
      endBytes: this.liveBytes,
      reservedBefore,
      reservedAfter: this.allocator.stats().reserved,
    };
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
    if (this.active.some((p) => p.signal)) pollInterrupt();
    for (const p of this.active) if (p.signal?.aborted) throw abortError(p.signal);
  }

  private onAllocate(dataId: object, bytes: number): void {
    this.liveBytes += bytes;
    for (const p of this.active) p.peakBytes = Math.max(p.peakBytes, this.liveBytes);
    const entry: { block?: AllocatorBlock; bytes: number } = { bytes };
    try {
      // outside measured phases the budget is not enforced, only accounted
      entry.block = this.allocator.allocate(bytes, this.active.length === 0);
    } catch (e) {
      if (!(e instanceof AllocationFailure)) throw e;
      this.pending ??= {
        requested: e.requested,
        capacity: e.capacity,
        allocated: e.stats.allocated,
        reserved: e.stats.reserved,
        phase: this.active[this.active.length - 1]?.name,
        simulated: true,
        backend: tf.getBackend(),
      };
    }
    this.blocks.set(dataId, entry);
  }

  private onFree(dataId: object): void {
    const entry = this.blocks.get(dataId);
    if (!entry) return;
    this.blocks.delete(dataId);
    this.liveBytes -= entry.bytes;
    if (entry.block && this.assigning?.oldId === dataId) this.assigning.oldBlock = entry.block;
    else if (entry.block) this.allocator.free(entry.block);
  }

  /** The variable assignment in progress: its old buffer, and that buffer's block once the assignment frees it. */
  private assigning: { oldId: object; oldBlock?: AllocatorBlock } | null = null;

  /**
   * Variable.assign as PyTorch updates parameters and optimizer state, in place: TensorFlow.js
   * computes the new value into a buffer of its own and drops the old one, so each step would
   * move every weight, momentum and EMA buffer to wherever the cache had room, pinning
   * segments that PyTorch never touches (after a validation pass at twice the batch, its
   * segments). Here the new value takes over the old buffer's block and its own block goes
   * back to the cache, as the temporary an in-place update computes from would.
   */
  private assignInPlace(variable: tf.Variable, assign: () => void): void {
    const outer = this.assigning;
    this.assigning = { oldId: variable.dataId as object };
    try {
      assign();
    } finally {
      const { oldBlock } = this.assigning;
      this.assigning = outer;
      const entry = this.blocks.get(variable.dataId as object);
      if (oldBlock && entry?.block && oldBlock.size === entry.block.size) {
        this.allocator.free(entry.block);
        entry.block = oldBlock;
      } else if (oldBlock) this.allocator.free(oldBlock);
    }
  }

  /**
   * Subscribes to the engine's buffer events, once, for the rest of the process (tfjs keeps
   * its buffers in a WeakMap, so they cannot be listed later). Buffers that existed before
   * are unknown except variables (weights, optimizer state), which are read from the engine.
   */
  private install(): void {
    if (this.installed) return;
    this.installed = true;
    for (const v of Object.values(tf.engine().registeredVariables)) {
      if (!v.isDisposed && !this.blocks.has(v.dataId as object)) this.onAllocate(v.dataId as object, tensorBytes(v));
    }
    const model = this;
    const assign = tf.Variable.prototype.assign;
    tf.Variable.prototype.assign = function (this: tf.Variable, value: tf.Tensor) {
      model.assignInPlace(this, () => assign.call(this, value));
    };
    subscribeTfHooks({
      name: "the device-memory model",
      tensorTracked: ({ tensor, newData }) => {
        if (newData) this.onAllocate(tensor.dataId as object, tensorBytes(tensor));
      },
      dataFreed: (dataId) => this.onFree(dataId),
      // Out-of-memory recorded inside a kernel is thrown before the next one starts.
      beforeTopLevelKernel: () => {
        if (this.active.length) this.throwIfPending();
      },
    });
  }
}

/** The process's simulated device. */
export const deviceMemory = new DeviceMemoryModel();
