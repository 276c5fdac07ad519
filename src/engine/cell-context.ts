// Output attribution. Every cell runs inside an AsyncLocalStorage context that carries its
// OutputSink, so output from a timer or a promise that a cell started reaches that cell's
// output (its parent header), not whichever cell runs next.
import { AsyncLocalStorage } from "node:async_hooks";
import { Console } from "node:console";
import { Writable } from "node:stream";
import type { OutputSink } from "./types";
import { setCellOutputHost } from "../display/cell-output";

export interface CellContext {
  sink: OutputSink;
  executionCount: number;
  signal: AbortSignal;
}

const storage = new AsyncLocalStorage<CellContext>();
/** The cell that ran last: where output with no context of its own goes. */
let lastContext: CellContext | undefined;

// display(), clearOutput() and input() write to the output of the cell running now.
setCellOutputHost({ current: () => currentCell()?.sink });

export function runInCell<T>(ctx: CellContext, fn: () => T): T {
  lastContext = ctx;
  return storage.run(ctx, fn);
}

/** The context of the code running now (or of the cell that started it). */
export function currentCell(): CellContext | undefined {
  return storage.getStore() ?? lastContext;
}

function cellStream(name: "stdout" | "stderr", fallback: (chunk: string | Uint8Array) => boolean): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      const ctx = currentCell();
      const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
      if (ctx) ctx.sink.stream(name, text);
      else fallback(text);
      done();
    },
  });
}

let installed = false;
let writing = false;
/**
 * Routes `console.*` and `process.stdout/stderr.write` of user code to the current cell.
 * The kernel's own log keeps the original stderr (returned here).
 */
export function installOutputCapture(): { log: (line: string) => void } {
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  if (!installed) {
    installed = true;
    const out = cellStream("stdout", origOut);
    const err = cellStream("stderr", origErr);
    // A Console bound to our streams; synchronous per call, so order is kept.
    const cellConsole = new Console({ stdout: out, stderr: err, colorMode: false });
    for (const k of Object.keys(cellConsole) as (keyof Console)[]) {
      const v = cellConsole[k];
      if (typeof v === "function") (console as any)[k] = (v as Function).bind(cellConsole);
    }
    const route = (name: "stdout" | "stderr", orig: typeof origOut) =>
      function write(this: unknown, chunk: any, encoding?: any, cb?: any): boolean {
        const ctx = storage.getStore();
        // A sink that itself writes to the process's stream must not loop back into itself.
        if (!ctx || writing) return orig(chunk, encoding, cb);
        writing = true;
        try {
          ctx.sink.stream(name, typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        } finally {
          writing = false;
        }
        if (typeof encoding === "function") encoding();
        else if (typeof cb === "function") cb();
        return true;
      };
    (process.stdout as any).write = route("stdout", origOut);
    (process.stderr as any).write = route("stderr", origErr);
  }
  return { log: (line: string) => void origErr(line.endsWith("\n") ? line : `${line}\n`) };
}
