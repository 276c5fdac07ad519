import type { PhaseMemory } from "./memory/device-memory";

/** Emitted after every micro-batch (one forward/backward). */
export interface BatchEvent {
  epoch: number;
  /** Index of the batch in the epoch, and batches per epoch (NaN when the loader has no length). */
  batch: number;
  nb: number;
  /** Iterations since the start of training (YOLOv5's `ni`). */
  ni: number;
  loss: number;
  items: Record<string, number>;
  /** Learning rate of each parameter group, in group order (YOLOv5: bias, weight, bn). */
  lr: number[];
  momentum: number;
  accumulate: number;
  /** True when this micro-batch ended with an optimizer step. */
  optimizerStep: boolean;
  imgsPerSec: number;
  elapsedMs: number;
  etaMs: number;
  memory: PhaseMemory;
}

export interface EpochEvent {
  epoch: number;
  /** Mean loss and mean loss items over the epoch's batches. */
  trainLoss: number;
  items: Record<string, number>;
  metrics: Record<string, number>;
  lr: number[];
  epochMs: number;
  /** Highest live tfjs bytes of any step this epoch, and the allocator model's reserved bytes. */
  peakBytes: number;
  reservedBytes: number;
}

export interface EndEvent {
  epochsCompleted: number;
  aborted: boolean;
  elapsedMs: number;
  error?: Error;
}

export interface TrainerEvents {
  batch: BatchEvent;
  epoch: EpochEvent;
  end: EndEvent;
}

/** A small typed event emitter (listeners run synchronously, in registration order). */
export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, ((ev: never) => void)[]>();

  on<K extends keyof E>(event: K, listener: (ev: E[K]) => void): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as (ev: never) => void);
    this.listeners.set(event, list);
    return this;
  }

  off<K extends keyof E>(event: K, listener: (ev: E[K]) => void): this {
    const list = this.listeners.get(event);
    if (list)
      this.listeners.set(
        event,
        list.filter((l) => l !== (listener as unknown)),
      );
    return this;
  }

  protected emit<K extends keyof E>(event: K, ev: E[K]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (ev: E[K]) => void)(ev);
  }
}
