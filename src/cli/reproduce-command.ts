// `tfjs-lab reproduce` (npm run reproduce): runs every notebook in notebooks/ through the
// engine, writes the executed copies and report.html to out/, and prints what each reproduced.
import * as fs from "fs";
import * as path from "path";
import { KERNEL_ROOT } from "../engine/compiler";
import { runNotebook } from "../runner/run-notebook";
import { writeNotebook } from "../runner/nbformat";
import { summarize, summaryTable } from "../runner/summary";
import { reportHtml } from "../runner/report-html";

export async function reproduceCommand(args: string[]): Promise<number> {
  const outIdx = args.indexOf("--out");
  const out = path.resolve(outIdx >= 0 ? args[outIdx + 1] ?? "out" : path.join(KERNEL_ROOT, "out"));
  const dir = path.join(KERNEL_ROOT, "notebooks");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(dir, f));
  if (!files.length) { process.stderr.write(`no notebooks in ${dir}\n`); return 1; }
  fs.mkdirSync(out, { recursive: true });
  const runs = [], summaries = [];
  for (const file of files) {
    process.stderr.write(`running ${path.basename(file)} ...\n`);
    const run = await runNotebook(file, { cellTimeoutMs: 600_000 });
    writeNotebook(path.join(out, path.basename(file)), run.notebook);
    runs.push(run);
    summaries.push(summarize(run));
  }
  fs.writeFileSync(path.join(out, "report.html"), reportHtml(runs, summaries));
  process.stdout.write(summaryTable(summaries) + `\n\nExecuted notebooks and report.html written to ${out}\n`);
  return summaries.every((s) => s.ok) ? 0 : 1;
}
