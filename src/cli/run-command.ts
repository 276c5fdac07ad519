// `tfjs-lab run NOTEBOOK... [--out DIR]`: executes notebooks through the engine, each in a fresh process,
// and writes the executed copies (nbformat 4), next to the originals unless --out is given.
import * as fs from "node:fs";
import * as path from "node:path";
import { runNotebookIsolated } from "../runner/run-notebook";
import { writeNotebook } from "../runner/nbformat";
import { summarize, summaryTable } from "../runner/summary";

export interface ParsedRunArgs {
  files: string[];
  out?: string;
  allowErrors: boolean;
  timeoutS?: number;
}

export function parseRunArgs(args: string[]): ParsedRunArgs {
  const r: ParsedRunArgs = { files: [], allowErrors: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--out") r.out = args[++i];
    else if (a === "--allow-errors") r.allowErrors = true;
    else if (a === "--timeout") r.timeoutS = Number(args[++i]);
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else r.files.push(a);
  }
  if (r.out === undefined && args.includes("--out")) throw new Error("--out needs a directory");
  if (r.timeoutS !== undefined && !(r.timeoutS > 0)) throw new Error("--timeout needs a number of seconds");
  return r;
}

export async function runCommand(args: string[]): Promise<number> {
  let parsed: ParsedRunArgs;
  try {
    parsed = parseRunArgs(args);
  } catch (e) {
    process.stderr.write(
      `tfjs-lab run: ${(e as Error).message}\nUsage: tfjs-lab run NOTEBOOK... [--out DIR] [--allow-errors] [--timeout S]\n`,
    );
    return 2;
  }
  if (!parsed.files.length) {
    process.stderr.write("tfjs-lab run: no notebook given\n");
    return 2;
  }
  if (parsed.out) fs.mkdirSync(parsed.out, { recursive: true });
  const summaries = [];
  let failed = false;
  for (const file of parsed.files) {
    const run = await runNotebookIsolated(file, {
      allowErrors: parsed.allowErrors,
      cellTimeoutMs: parsed.timeoutS ? parsed.timeoutS * 1000 : undefined,
    });
    const dest = parsed.out ? path.join(parsed.out, path.basename(file)) : file;
    writeNotebook(dest, run.notebook);
    const s = summarize(run);
    summaries.push(s);
    failed ||= !s.ok && !parsed.allowErrors;
    process.stderr.write(`${s.ok ? "ok  " : "FAIL"} ${file} -> ${dest} (${(run.ms / 1000).toFixed(1)} s)\n`);
  }
  process.stdout.write(`${summaryTable(summaries)}\n`);
  return failed ? 1 : 0;
}
