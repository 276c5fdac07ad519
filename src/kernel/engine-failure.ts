// Stands in for an engine that failed to start, so the kernel still answers and every cell
// shows why nothing can run (instead of a kernel that silently never replies).
import type { Engine, OutputSink } from "../engine/types";

export function failedEngine(cause: unknown): Engine {
  const err = cause instanceof Error ? cause : new Error(String(cause));
  const ename = "EngineStartError";
  const evalue = `The tfjs-lab engine failed to start: ${err.message}`;
  const traceback = [`${ename}: ${evalue}`, ...(err.stack ?? "").split("\n").slice(1)];
  return {
    executionCount: 0,
    async execute(_code: string, sink: OutputSink) {
      sink.error(ename, evalue, traceback);
      return { status: "error", execution_count: 0, ename, evalue, traceback };
    },
    complete: (_code, cursorPos) => ({ status: "ok", matches: [], cursor_start: cursorPos, cursor_end: cursorPos, metadata: {} }),
    inspect: () => ({ status: "ok", found: false, data: {}, metadata: {} }),
    isComplete: () => ({ status: "unknown" }),
    history: () => [],
    interrupt: () => undefined,
    shutdown: async () => undefined,
  };
}
