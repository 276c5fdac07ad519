// The interrupt counters shared between threads. The control worker raises the flag when an
// interrupt_request arrives; the main thread reads it synchronously at loop back-edges, after
// awaits and between training steps, and acknowledges it when it acts on it. A SIGINT
// handler alone is not enough: it runs only when the event loop turns, and a loop whose
// awaits all resolve as microtasks (e.g. `await t.data()` on wasm) never lets it turn.
// SIGINT stays the fallback for code that reaches no check (see control-worker.ts).

export const RAISED = 0;
const ACKNOWLEDGED = 1;
/** The generation the running cell started at: instrumented loops compare it with RAISED inline. */
export const SEEN = 2;

export class InterruptFlag {
  /** The counters; cell code reads them directly (one load each, no call) at every loop iteration. */
  readonly counts: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.counts = new Int32Array(buffer);
  }

  /** How many interrupts were raised so far. */
  generation(): number {
    return Atomics.load(this.counts, RAISED);
  }

  raise(): number {
    return Atomics.add(this.counts, RAISED, 1) + 1;
  }

  /** The main thread has acted on every interrupt up to `generation`. */
  acknowledge(generation: number): void {
    Atomics.store(this.counts, ACKNOWLEDGED, generation);
  }

  /** Records the generation the running cell has seen (main thread only). */
  markSeen(generation: number): void {
    Atomics.store(this.counts, SEEN, generation);
  }

  /** Whether interrupt number `generation` has been acted on. */
  acknowledged(generation: number): boolean {
    return Atomics.load(this.counts, ACKNOWLEDGED) >= generation;
  }
}

/** The one flag of this process: the kernel hands its buffer to the control worker. */
export const processInterruptFlag = new InterruptFlag();
