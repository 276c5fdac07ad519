// Executes a notebook in-process through the engine, cell by cell, as nbclient would:
// a cell tagged `raises-exception` may fail; any other failure stops the run unless
// allowErrors. The executed copy keeps Jupyter's nbformat 4.
import { fork } from "node:child_process";
import * as path from "node:path";
import { createToolkitEngine } from "../cli/toolkit-engine";
import { DisplayRegistry, NotebookSink } from "./notebook-sink";
import { hasTag, readNotebook, sourceText, type Notebook, type Output } from "./nbformat";

export interface CellRecord {
  index: number;
  status: "ok" | "error" | "skipped";
  raisesTag: boolean;
  ename?: string;
  evalue?: string;
  ms: number;
}
export interface NotebookRun {
  file: string;
  notebook: Notebook;
  cells: CellRecord[];
  ms: number;
  stoppedAt?: number;
}

export interface RunOptions {
  allowErrors?: boolean;
  cellTimeoutMs?: number;
  log?: (line: string) => void;
}

export async function runNotebook(file: string, options: RunOptions = {}): Promise<NotebookRun> {
  const nb = readNotebook(file);
  const engine = createToolkitEngine({ cwd: path.dirname(path.resolve(file)), log: options.log });
  const displays = new DisplayRegistry();
  const cells: CellRecord[] = [];
  const t0 = Date.now();
  let stoppedAt: number | undefined;
  try {
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const raisesTag = hasTag(cell, "raises-exception");
      if (stoppedAt !== undefined) {
        cells.push({ index, status: "skipped", raisesTag, ms: 0 });
        continue;
      }
      const sink = new NotebookSink(displays);
      cell.outputs = sink.outputs as Output[];
      const c0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = options.cellTimeoutMs
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              engine.interrupt();
              reject(new Error(`cell ${index} timed out after ${options.cellTimeoutMs} ms`));
            }, options.cellTimeoutMs);
          })
        : undefined;
      const reply = await (timeout
        ? Promise.race([engine.execute(sourceText(cell.source), sink), timeout])
        : engine.execute(sourceText(cell.source), sink));
      clearTimeout(timer);
      cell.execution_count = reply.execution_count;
      const rec: CellRecord = { index, status: reply.status === "ok" ? "ok" : "error", raisesTag, ms: Date.now() - c0 };
      if (reply.status === "error") {
        rec.ename = reply.ename;
        rec.evalue = reply.evalue;
      }
      cells.push(rec);
      if (rec.status === "error" && !raisesTag && !options.allowErrors) stoppedAt = index;
    }
  } finally {
    await engine.shutdown();
  }
  return { file, notebook: nb, cells, ms: Date.now() - t0, stoppedAt };
}

/**
 * runNotebook in a child process of its own (run-notebook-child.ts), so that one notebook's
 * process-wide state (backend, memory budget, globals) cannot change the next one's results.
 */
export function runNotebookIsolated(file: string, options: Omit<RunOptions, "log"> = {}): Promise<NotebookRun> {
  return new Promise((resolve, reject) => {
    // The notebook's folder is the process's working directory, as Jupyter starts a kernel
    // there: relative paths in cells (data/..., runs/...) mean the same under nbconvert and here.
    const child = fork(path.join(__dirname, "run-notebook-child.js"), [], {
      cwd: path.dirname(path.resolve(file)),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    child.once("message", (m: { run?: NotebookRun; error?: string }) => {
      settled = true;
      if (m.run) resolve(m.run);
      else reject(new Error(`${file}: ${m.error}`));
    });
    child.once("exit", (code, signal) => {
      if (!settled) reject(new Error(`${file}: the notebook's process ended (${signal ?? `exit code ${code}`}) before the run finished`));
    });
    child.send({ file: path.resolve(file), options });
  });
}
