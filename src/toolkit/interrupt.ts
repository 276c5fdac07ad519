// How long-running toolkit loops (Trainer, memory phases) learn that the user interrupted.
// The toolkit does not know about kernels: a host (the tfjs-lab engine) registers where the
// current cell's AbortSignal comes from and how to poll for an interrupt that has arrived
// but not yet been turned into an abort. In plain Node nothing is registered and only the
// caller's own signal counts.

export interface InterruptHost {
  /** The signal of the code running now (the current cell), if any. */
  signal(): AbortSignal | undefined;
  /** Turns an interrupt that has arrived into an abort of the current signal; cheap, synchronous. */
  poll(): void;
}

let host: InterruptHost | undefined;

export function setInterruptHost(h: InterruptHost | undefined): void {
  host = h;
}

/** The caller's own signal, else the host's (the cell that started the work). */
export function interruptSignal(own?: AbortSignal): AbortSignal | undefined {
  return own ?? host?.signal();
}

/** Lets an interrupt that arrived while no event-loop turn happened abort the current signal. */
export function pollInterrupt(): void {
  host?.poll();
}
