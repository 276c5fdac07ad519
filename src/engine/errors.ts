// Turns whatever a cell threw into Jupyter's error content (ename, evalue, traceback).
import type { Diagnostic } from "tslab/dist/converter";
import { mapCellFrames } from "./source-positions";

export interface ErrorContent { ename: string; evalue: string; traceback: string[] }

/** Raised for a cell the user stopped (interrupt_request or SIGINT). */
export class KeyboardInterrupt extends Error {
  constructor(message = "") {
    super(message);
    this.name = "KeyboardInterrupt";
  }
}

/** A cell that did not type-check: no code ran. */
export class CompileError extends Error {
  constructor(readonly diagnostics: string[]) {
    super(diagnostics.join("\n"));
    this.name = "CompileError";
  }
}

/** `firstLine`: the cell line the compiled code starts on (after a magic line, it is not 1). */
export function diagnosticLines(diags: Diagnostic[], cellName: string, firstLine = 1): string[] {
  return diags.map((d) => d.fileName
    ? `${d.fileName}:${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`
    : `${cellName}:${d.start.line + firstLine}:${d.start.character + 1} - ${d.messageText}`);
}

// Frames of the kernel itself (engine, vm trampolines, Node internals) say nothing about the user's code.
const INTERNAL_FRAME = /node:internal|node:vm|node:async_hooks|[\\/]dist[\\/]src[\\/](engine|kernel|magics)[\\/]|^\s*at (new )?Promise|evalmachine|\binterruptible:|sigintHandlersWrap|Script\.runInThisContext/;

export function isInterrupt(e: unknown): boolean {
  return e instanceof KeyboardInterrupt || (e as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

export function toErrorContent(e: unknown): ErrorContent {
  if (isInterrupt(e)) return { ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] };
  if (e instanceof CompileError) return { ename: e.name, evalue: e.message, traceback: [`${e.name}: ${e.message}`] };
  if (e instanceof Error) {
    const ename = e.name || e.constructor?.name || "Error";
    const evalue = e.message;
    const frames = mapCellFrames((e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l) && !INTERNAL_FRAME.test(l)));
    return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames] };
  }
  // Something that is not an Error was thrown (`throw 42`).
  let text: string;
  try { text = typeof e === "string" ? e : JSON.stringify(e) ?? String(e); } catch { text = String(e); }
  return { ename: "Error", evalue: text, traceback: [`Uncaught ${text}`] };
}
