// The execution engine: one cell at a time through magics, the TypeScript executor and
// rich display; the same object serves the ZeroMQ kernel and the in-process notebook runner.

import type {
  CompleteReplyContent,
  Engine,
  ExecuteOptions,
  ExecuteReplyContent,
  HistoryEntry,
  HistoryQuery,
  InspectReplyContent,
  IsCompleteReplyContent,
  OutputSink,
} from "./types";
import { createCompiler, type Compiler } from "./compiler";
import { Executor, type RunResult } from "./executor";
import { History } from "./history";
import { createNamespace, type Namespace } from "./namespace";
import { PRELUDE_DECL, preload } from "./preload";
import { runInCell, currentCell, installOutputCapture, type CellContext } from "./cell-context";
import { STACK_TRACE_LIMIT, toErrorContent } from "./errors";
import { isCompleteCell } from "./is-complete";
import { CellInterrupts } from "./cell-interrupts";
import { processInterruptFlag } from "./interrupt-flag";
import { isInterrupt, type FrameLibrary } from "./errors";
import { prepareForDisplay, toMimeBundle } from "../display";
import { parseCell, typescriptOnly, getMagic, allMagics, helpText, runShell, UsageError, type MagicContext } from "../magics";

/**
 * What the engine does not know itself: the toolkit's behaviour around cells, given by
 * whoever creates the engine (src/cli/toolkit-engine.ts). The engine knows no TensorFlow.js.
 */
export interface EngineHooks {
  /** Runs once, before the first cell (or in warmUp): e.g. selects the TensorFlow.js backend. A failure is logged; cells still run. */
  beforeFirstCell?(log: (line: string) => void): Promise<void> | void;
  /** Runs after a cell was interrupted: e.g. closes the TensorFlow.js scopes it left open. Returns a line for the log, if any. */
  afterInterrupt?(): string | undefined;
  /** Names the library a traceback frame belongs to, beyond installed packages, so a run of its frames collapses to one line. */
  frameLibrary?: FrameLibrary;
}

export interface EngineOptions {
  /** The notebook's folder: relative imports and files resolve from here. */
  cwd?: string;
  /** The kernel's log (stderr of the process by default). */
  log?: (line: string) => void;
  hooks?: EngineHooks;
}

export class LabEngine implements Engine {
  private count = 0;
  private readonly cwd: string;
  private readonly namespace: Namespace = createNamespace();
  private readonly historyStore = new History();
  private readonly log: (line: string) => void;
  private compiler?: Compiler;
  private executor?: Executor;
  private firstCellReady?: Promise<unknown>;
  private readonly hooks: EngineHooks;
  /**
   * Which cell an interrupt stops: also what long-running library loops poll (the wiring
   * hands it to the toolkit's setInterruptHost).
   */
  readonly interrupts = new CellInterrupts(processInterruptFlag);

  constructor(options: EngineOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.hooks = options.hooks ?? {};
    // Deep enough that an error raised inside TensorFlow.js still shows the cell's frame.
    Error.stackTraceLimit = Math.max(Error.stackTraceLimit ?? 10, STACK_TRACE_LIMIT);
    const capture = installOutputCapture();
    this.log = options.log ?? capture.log;
    preload(this.namespace);
    installUncaughtReporting(this.log, this.hooks.frameLibrary);
  }

  get executionCount(): number {
    return this.count;
  }

  /** Creates the compiler and picks the backend; done on first use, or early by warmUp(). */
  private ensureCompiler(): Executor {
    if (!this.executor) {
      this.compiler = createCompiler(this.cwd, PRELUDE_DECL);
      this.executor = new Executor(this.compiler, this.namespace, this.cwd, this.interrupts);
    }
    return this.executor;
  }
  private beforeFirstCell(): Promise<unknown> {
    this.firstCellReady ??= (async () => {
      try {
        await this.hooks.beforeFirstCell?.(this.log);
      } catch (e) {
        this.log(`before the first cell: ${(e as Error).message}`);
      }
      // Modules the hook loaded (the wasm backend's glue) may have added exit-on-error handlers.
      keepOnlyOurHandlers();
    })();
    return this.firstCellReady;
  }

  /** Runs the first-cell hook (the backend) and loads the compiler ahead of the first cell (call after the kernel is up). */
  async warmUp(): Promise<void> {
    await this.beforeFirstCell();
    const ex = this.ensureCompiler();
    // Type-checking the preloaded names once loads their declarations (about a second).
    this.compiler!.convert("tf; aq; lab; display;");
    void ex;
  }

  async execute(code: string, sink: OutputSink, options: ExecuteOptions = {}): Promise<ExecuteReplyContent> {
    const silent = !!options.silent;
    const store = options.storeHistory ?? !silent;
    if (store) {
      this.count++;
      this.historyStore.add(this.count, code);
    }
    const n = this.count;
    const controller = this.interrupts.begin();
    const ctx: CellContext = { sink, executionCount: n, signal: controller.signal };
    try {
      await this.beforeFirstCell();
      keepOnlyOurHandlers();
      const result = await runInCell(ctx, () => this.runCell(code, ctx));
      if (result.hasValue && result.value !== undefined && !silent) {
        await prepareForDisplay(result.value);
        const { data, metadata } = toMimeBundle(result.value);
        sink.executeResult(n, data, metadata);
        if (store) this.historyStore.setOutput(n, String(data["text/plain"] ?? ""));
      }
      const userExpressions = await this.userExpressions(options.userExpressions ?? {}, ctx);
      return { status: "ok", execution_count: n, payload: [], user_expressions: userExpressions };
    } catch (e) {
      if (isInterrupt(e)) this.afterInterrupt();
      const err = toErrorContent(e, this.hooks.frameLibrary);
      sink.error(err.ename, err.evalue, err.traceback);
      return { status: "error", execution_count: n, ...err };
    } finally {
      this.interrupts.end(controller);
    }
  }

  private afterInterrupt(): void {
    try {
      const repaired = this.hooks.afterInterrupt?.();
      if (repaired) this.log(`interrupt: ${repaired}`);
    } catch (e) {
      this.log(`after the interrupt: ${(e as Error).message}`);
    }
  }

  private cellName(ctx: CellContext): string {
    return `In[${ctx.executionCount}]`;
  }

  /** `line`: the cell line of the code the magic runs (a %%magic's body starts on line 2). */
  private magicContext(ctx: CellContext, line = 1): MagicContext {
    return {
      sink: ctx.sink,
      signal: ctx.signal,
      namespace: this.namespace,
      executionCount: ctx.executionCount,
      runCode: (code, wrapperLines = 0) => this.ensureCompiler().run(code, this.cellName(ctx), ctx.signal, line - wrapperLines),
      show: (value) => {
        const { data, metadata } = toMimeBundle(value);
        ctx.sink.display(data, metadata, {}, false);
      },
      print: (text) => ctx.sink.stream("stdout", text),
    };
  }

  private async runCell(code: string, ctx: CellContext): Promise<RunResult> {
    let last: RunResult = { hasValue: false };
    for (const part of parseCell(code)) {
      if (ctx.signal.aborted) break;
      switch (part.kind) {
        case "code":
          last = await this.ensureCompiler().run(part.text, this.cellName(ctx), ctx.signal, part.line);
          break;
        case "shell":
          await runShell(part.command, this.magicContext(ctx));
          last = { hasValue: false };
          break;
        case "magic-help": {
          const m = getMagic(part.name);
          if (!m) throw new UsageError(`Magic %${part.name} not found. %lsmagic lists the magics.`);
          ctx.sink.stream("stdout", helpText(m));
          last = { hasValue: false };
          break;
        }
        case "inspect": {
          const reply = this.inspect(part.expr, part.expr.length, part.detail);
          ctx.sink.stream("stdout", reply.found ? `${String(reply.data["text/plain"])}\n` : `Object \`${part.expr}\` not found.\n`);
          last = { hasValue: false };
          break;
        }
        case "line-magic":
        case "cell-magic": {
          const m = getMagic(part.name);
          const prefix = part.kind === "cell-magic" ? "%%" : "%";
          if (!m)
            throw new UsageError(
              `${part.kind === "cell-magic" ? "Cell" : "Line"} magic \`${prefix}${part.name}\` not found. %lsmagic lists the magics.`,
            );
          if (part.kind === "cell-magic" && m.kind === "line")
            throw new UsageError(`%${m.name} is a line magic; use it as %${m.name} on one line.`, m.usage);
          if (part.kind === "line-magic" && m.kind === "cell")
            throw new UsageError(`%%${m.name} is a cell magic; put %%${m.name} on the first line of the cell.`, m.usage);
          // A %%magic's body starts on the line after it; a %magic's code is on its own line.
          const value =
            part.kind === "cell-magic"
              ? await m.run(part.args, this.magicContext(ctx, part.line + 1), part.body)
              : await m.run(part.args, this.magicContext(ctx, part.line), undefined);
          last = { hasValue: value !== undefined, value };
          break;
        }
      }
    }
    return last;
  }

  private async userExpressions(exprs: Record<string, string>, ctx: CellContext): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [key, expr] of Object.entries(exprs)) {
      try {
        const r = await runInCell(ctx, () => this.ensureCompiler().run(expr, "user_expressions", ctx.signal));
        await prepareForDisplay(r.value);
        out[key] = { status: "ok", ...toMimeBundleContent(r.value) };
      } catch (e) {
        out[key] = { status: "error", ...toErrorContent(e, this.hooks.frameLibrary) };
      }
    }
    return out;
  }

  complete(code: string, cursorPos: number): CompleteReplyContent {
    const lineStart = code.lastIndexOf("\n", cursorPos - 1) + 1;
    const before = code.slice(lineStart, cursorPos);
    const magic = /^(%%?)([\w-]*)$/.exec(before.trimStart());
    if (magic) {
      const matches = allMagics()
        .filter((m) => m.name.startsWith(magic[2]))
        .map((m) => magic[1] + m.name);
      return { status: "ok", matches, cursor_start: cursorPos - magic[0].length, cursor_end: cursorPos, metadata: {} };
    }
    try {
      this.ensureCompiler();
      const info = this.compiler!.complete(typescriptOnly(code), cursorPos);
      return { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} };
    } catch (e) {
      this.log(`complete failed: ${(e as Error).message}`);
      return { status: "ok", matches: [], cursor_start: cursorPos, cursor_end: cursorPos, metadata: {} };
    }
  }

  inspect(code: string, cursorPos: number, _detailLevel: number): InspectReplyContent {
    const word = /%%?([\w-]+)/.exec(code.slice(code.lastIndexOf("\n", cursorPos - 1) + 1));
    if (word && getMagic(word[1])) return { status: "ok", found: true, data: { "text/plain": helpText(getMagic(word[1])!) }, metadata: {} };
    try {
      this.ensureCompiler();
      const ts = typescriptOnly(code);
      const info = this.compiler!.inspect(ts, Math.max(0, cursorPos - 1)) ?? this.compiler!.inspect(ts, cursorPos);
      if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
      const sig = (info.displayParts ?? []).map((p) => p.text).join("");
      const doc = (info.documentation ?? []).map((p) => p.text).join("");
      const tags = (info.tags ?? []).map((t) => `@${t.name} ${(t.text ?? []).map((p) => p.text).join("")}`).join("\n");
      return { status: "ok", found: true, data: { "text/plain": [sig, doc, tags].filter(Boolean).join("\n\n") }, metadata: {} };
    } catch (e) {
      this.log(`inspect failed: ${(e as Error).message}`);
      return { status: "ok", found: false, data: {}, metadata: {} };
    }
  }

  isComplete(code: string): IsCompleteReplyContent {
    return isCompleteCell(code);
  }

  history(query: HistoryQuery): HistoryEntry[] {
    return this.historyStore.query(query);
  }

  interrupt(): void {
    this.interrupts.interrupt();
  }

  async shutdown(): Promise<void> {
    this.interrupts.interrupt();
    this.compiler?.close();
  }
}

function toMimeBundleContent(value: unknown) {
  const { data, metadata } = toMimeBundle(value);
  return { data, metadata };
}

let handlers: { uncaught: (e: unknown) => void; rejection: (e: unknown) => void } | undefined;
/** Errors thrown by timers and unhandled rejections go to the cell that started them; the kernel lives on. */
function installUncaughtReporting(log: (line: string) => void, frameLibrary: FrameLibrary | undefined): void {
  if (handlers) return keepOnlyOurHandlers();
  const report = (kind: string) => (e: unknown) => {
    const ctx = currentCell();
    const err = toErrorContent(e, frameLibrary);
    // code of an interrupted cell that stopped at its next check: expected, not news for the cell
    if (isInterrupt(e) && ctx?.signal.aborted) return log(`${kind}: KeyboardInterrupt in code of interrupted In[${ctx.executionCount}]`);
    if (ctx)
      ctx.sink.error(err.ename, err.evalue, [`${kind} (from a timer or promise started by In[${ctx.executionCount}])`, ...err.traceback]);
    log(`${kind}: ${err.ename}: ${err.evalue}`);
  };
  handlers = { uncaught: report("Uncaught exception"), rejection: report("Unhandled promise rejection") };
  process.on("uncaughtException", handlers.uncaught);
  process.on("unhandledRejection", handlers.rejection);
}

/**
 * Emscripten's glue (the wasm backend) adds handlers that rethrow every uncaught exception,
 * which would end the kernel; drop every handler but ours (after the backend loads, and
 * before each cell, since user code may load such modules too).
 */
function keepOnlyOurHandlers(): void {
  if (!handlers) return;
  for (const [event, ours] of [
    ["uncaughtException", handlers.uncaught],
    ["unhandledRejection", handlers.rejection],
  ] as const) {
    for (const l of process.listeners(event as "uncaughtException"))
      if (l !== ours) process.removeListener(event as "uncaughtException", l);
  }
}

export function createEngine(options: EngineOptions = {}): LabEngine {
  return new LabEngine(options);
}
