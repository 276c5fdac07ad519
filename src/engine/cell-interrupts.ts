// Which cell an interrupt stops, and the checks that stop it. One cell runs at a time; it
// remembers the interrupt counter's value when it started, so a later interrupt (raised by
// the control worker or by SIGINT) is seen synchronously by the checks that instrumented
// code, the toolkit's loops and magics run, and aborts the cell's AbortSignal.
import type { InterruptChecks } from "./executor";
import type { InterruptFlag } from "./interrupt-flag";
import { KeyboardInterrupt } from "./errors";
import { currentCell } from "./cell-context";

export class CellInterrupts implements InterruptChecks {
  private running?: AbortController;
  /** The counter's value the running cell started at (when idle: the last one seen). */
  private seen: number;

  constructor(private readonly flag: InterruptFlag) {
    this.seen = flag.generation();
    flag.markSeen(this.seen);
  }

  /** The shared counters instrumented code reads inline (see cell-transforms/interrupt-checks.ts). */
  get counts(): Int32Array {
    return this.flag.counts;
  }

  /** A cell starts: interrupts from now on abort the returned controller. */
  begin(): AbortController {
    this.running = new AbortController();
    this.see(this.flag.generation());
    return this.running;
  }

  end(controller: AbortController): void {
    if (this.running === controller) this.running = undefined;
  }

  private see(generation: number): void {
    this.seen = generation;
    this.flag.markSeen(generation);
  }

  /** Interrupts the running cell (nothing to do when idle, as in ipykernel). */
  interrupt(): void {
    this.flag.raise();
    this.poll();
  }

  /** Acts on an interrupt that has arrived: aborts the running cell's signal; true if it did. */
  readonly poll = (): boolean => {
    const g = this.flag.generation();
    if (g === this.seen) return false;
    this.flag.acknowledge(g);
    const r = this.running;
    if (!r) {
      this.see(g);
      return false;
    }
    if (!r.signal.aborted) r.abort(new KeyboardInterrupt());
    return true;
  };

  /** Called by instrumented loops once their inline check saw a new interrupt (and by the toolkit). */
  readonly tick = (): void => {
    if (this.flag.generation() !== this.seen && this.poll()) throw new KeyboardInterrupt();
  };

  /** After an await: also stops code of an interrupted cell when another cell runs by now. */
  readonly resume = <T>(value?: T): T | undefined => {
    if (currentCell()?.signal.aborted) throw new KeyboardInterrupt();
    this.tick();
    return value;
  };

  /** The signal of the code running now: what toolkit loops started by a cell obey. */
  readonly signal = (): AbortSignal | undefined => currentCell()?.signal ?? this.running?.signal;
}
