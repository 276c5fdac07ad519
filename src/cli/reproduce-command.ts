// `tfjs-lab reproduce` (npm run reproduce): runs every notebook in notebooks/ through the
// engine, writes the executed copies and report.html to out/, and prints what each reproduced.
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_ROOT } from "../engine/compiler";
import { runNotebookIsolated } from "../runner/run-notebook";
import { writeNotebook } from "../runner/nbformat";
import { summarize, summaryTable } from "../runner/summary";
import { reportHtml } from "../runner/report-html";

export async function reproduceCommand(args: string[]): Promise<number> {
  const outIdx = args.indexOf("--out");
  const out = path.resolve(outIdx >= 0 ? (args[outIdx + 1] ?? "out") : path.join(KERNEL_ROOT, "out"));
  const dir = path.join(KERNEL_ROOT, "notebooks");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
  if (!files.length) {
    process.stderr.write(`no notebooks in ${dir}\n`);
    return 1;
  }
  fs.mkdirSync(out, { recursive: true });
  const runs = [],
    summaries = [],
    rows = [];
  for (const file of files) {
    process.stderr.write(`running ${path.basename(file)} ...\n`);
    const t0 = Date.now();
    try {
      const run = await runNotebookIsolated(file, { cellTimeoutMs: 600_000 });
      writeNotebook(path.join(out, path.basename(file)), run.notebook);
      const summary = summarize(run);
      runs.push(run);
      summaries.push(summary);
      rows.push(summary);
    } catch (e) {
      // the notebook's process died: say so in its row and go on with the others
      const message = (e as Error).message.split("\n")[0];
      rows.push({
        name: path.basename(file),
        reproduced: "(not run to the end)",
        fixVerified: `NO: ${message}`,
        ms: Date.now() - t0,
        ok: false,
      });
    }
  }
  fs.writeFileSync(path.join(out, "report.html"), reportHtml(runs, summaries));
  process.stdout.write(`${summaryTable(rows)}\n\nExecuted notebooks and report.html written to ${out}\n`);
  return rows.every((s) => s.ok) ? 0 : 1;
}
