// Turns whatever a cell threw into Jupyter's error content (ename, evalue, traceback).
import type { Diagnostic } from "tslab/dist/converter";
import { mapCellFrames } from "./source-positions";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

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
  return diags.map((d) =>
    d.fileName
      ? `${d.fileName}:${d.start.line + 1}:${d.start.character + 1} - ${d.messageText}`
      : `${cellName}:${d.start.line + firstLine}:${d.start.character + 1} - ${d.messageText}`,
  );
}

// Frames of the kernel itself (engine, vm trampolines, Node internals) say nothing about the user's code.
const INTERNAL_FRAME =
  /node:internal|node:vm|node:async_hooks|[\\/]dist[\\/]src[\\/](engine|kernel|magics)[\\/]|^\s*at (new )?Promise|evalmachine|\binterruptible:|sigintHandlersWrap|Script\.runInThisContext/;

/** Frames kept per error (V8's default of 10 is used up inside TensorFlow.js before the cell's own frame). */
export const STACK_TRACE_LIMIT = 64;

/** The library a traceback frame belongs to (its frames collapse to one line), or undefined. */
export type FrameLibrary = (frame: string) => string | undefined;

/** The installed package a frame is in. */
function packageOf(frame: string): string | undefined {
  const pkg = /.*[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/:]+)/.exec(frame);
  return pkg ? pkg[1].replace(/\\/g, "/") : undefined;
}

/**
 * Runs of frames inside libraries (mostly TensorFlow.js's engine and kernels) keep their first
 * frame, where the error was raised, and one line counting the rest, so the cell's own frames
 * are not lost among them. `frameLibrary` names libraries that are not installed packages.
 */
function collapseLibraryFrames(frames: string[], frameLibrary?: FrameLibrary): string[] {
  const libraries = frames.map((f) => packageOf(f) ?? frameLibrary?.(f));
  const out: string[] = [];
  for (let i = 0; i < frames.length; ) {
    out.push(frames[i]);
    if (!libraries[i]) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < frames.length && libraries[j]) j++;
    const hidden = j - i - 1;
    if (hidden === 1) out.push(frames[i + 1]);
    else if (hidden > 1) out.push(`    ... ${hidden} more frames in ${[...new Set(libraries.slice(i + 1, j))].join(", ")}`);
    i = j;
  }
  return out;
}

/** Runs of one frame (deep recursion) as that frame and a count, as Python's traceback does. */
export function collapseRepeatedFrames(frames: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < frames.length; ) {
    let j = i + 1;
    while (j < frames.length && frames[j] === frames[i]) j++;
    out.push(frames[i]);
    const more = j - i - 1;
    if (more === 1) out.push(frames[i]);
    else if (more > 1) out.push(`    [previous line repeated ${more} more times]`);
    i = j;
  }
  return out;
}

/**
 * The frame lines of a stack: what follows the error's header ("Name: message", which may
 * span lines, some of which may start with "at"), so a message line is never read as a frame.
 */
export function stackFrames(e: Error): string[] {
  const stack = e.stack ?? "";
  const message = String(e.message ?? "");
  const at = message ? stack.indexOf(message) : -1;
  const rest = at >= 0 ? stack.slice(at + message.length) : stack;
  return rest.split("\n").filter((l) => /^\s+at /.test(l));
}

export function isInterrupt(e: unknown): boolean {
  return e instanceof KeyboardInterrupt || (e as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

/**
 * V8's bare "Invalid typed array length: N" (or "Array buffer allocation failed") is what a
 * tensor too large for memory looks like before any backend sees it (tf.zeros([1e5, 1e5])):
 * say what was asked for and what to do.
 */
function explainAllocationFailure(e: Error): string | undefined {
  const m = /^Invalid typed array length: (\d+)$/.exec(e.message);
  if (e instanceof RangeError && (m || e.message === "Array buffer allocation failed")) {
    const n = m ? Number(m[1]) : undefined;
    const asked =
      n === undefined
        ? "an array buffer"
        : `a typed array of ${n.toLocaleString("en-US")} elements (${((n * 4) / 2 ** 30).toFixed(1)} GiB as float32)`;
    return `${e.message}: out of memory: could not allocate ${asked}. JavaScript arrays hold at most 2^32 elements and the wasm backend's heap is 4 GiB. What to do: make the tensor smaller (a smaller batch or image size), or dispose tensors you no longer need (%memory lists them).`;
  }
  return undefined;
}

export function toErrorContent(e: unknown, frameLibrary?: FrameLibrary): ErrorContent {
  if (isInterrupt(e)) return { ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] };
  if (e instanceof CompileError) return { ename: e.name, evalue: e.message, traceback: [`${e.name}: ${e.message}`] };
  if (e instanceof Error) {
    const ename = e.name || e.constructor?.name || "Error";
    const evalue = explainAllocationFailure(e) ?? e.message;
    const frames = mapCellFrames(
      collapseLibraryFrames(collapseRepeatedFrames(stackFrames(e).filter((l) => !INTERNAL_FRAME.test(l))), frameLibrary),
    );
    return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames] };
  }
  // Something that is not an Error was thrown (`throw 42`).
  let text: string;
  try {
    text = typeof e === "string" ? e : (JSON.stringify(e) ?? String(e));
  } catch {
    text = String(e);
  }
  return { ename: "Error", evalue: text, traceback: [`Uncaught ${text}`] };
}
