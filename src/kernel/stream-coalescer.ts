// Stream output (console.log, process.stdout.write) coalesced into few iopub messages, as
// ipykernel's OutStream does: a cell printing 100,000 lines sends a few hundred messages,
// not 100,000. Text of one request and stream is held until it is INTERVAL_MS old or
// MAX_CHARS long, or until anything else is published (the iopub worker calls flush()
// first), so outputs, errors and the idle status keep their order after the text printed
// before them. It runs in the iopub worker, whose timer fires while a cell blocks the main
// thread: text printed just before `while (true) {}` still shows.
import type { Header } from "./messages";

export const INTERVAL_MS = 50;
export const MAX_CHARS = 64 * 1024;

type StreamName = "stdout" | "stderr";

interface Held {
  parent: Header;
  name: StreamName;
  text: string;
  since: number;
}

export class StreamCoalescer {
  /** By request id and stream name, in the order they began. */
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly emit: (parent: Header, name: StreamName, text: string) => void) {}

  write(parent: Header, name: StreamName, text: string): void {
    if (!text) return;
    const key = `${parent.msg_id}\0${name}`;
    const now = Date.now();
    const h = this.held.get(key);
    if (!h) this.held.set(key, { parent, name, text, since: now });
    else h.text += text;
    const current = h ?? this.held.get(key)!;
    // The age check keeps a steady flood from waiting on the timer.
    if (current.text.length >= MAX_CHARS || now - current.since >= INTERVAL_MS) this.flushOne(key, current);
    else this.timer ??= setTimeout(() => this.flush(), INTERVAL_MS).unref();
  }

  /** Publishes all held text, oldest stream first. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, h] of this.held) this.flushOne(key, h);
  }

  private flushOne(key: string, h: Held): void {
    this.held.delete(key);
    this.emit(h.parent, h.name, h.text);
  }
}
