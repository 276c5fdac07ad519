// What each executed notebook proved: the error its tagged cells raised (the reproduced
// failure), whether every other cell (the fix and its proof) ran, and how long it took.
import * as path from "node:path";
import type { NotebookRun } from "./run-notebook";
import { hasTag, sourceText, type Cell } from "./nbformat";

/**
 * A notebook with nothing to reproduce (a review, a tour) can still state what it found: the
 * last line a cell tagged `finding` printed, e.g. "lab.val agrees with val.py: ...".
 */
function findings(run: NotebookRun): string[] {
  return run.cells
    .filter((c) => c.status === "ok" && hasTag(run.notebook.cells[c.index], "finding"))
    .map((c) => lastPrintedLine(run.notebook.cells[c.index]))
    .filter((line): line is string => !!line);
}

function lastPrintedLine(cell: Cell): string | undefined {
  const text = (cell.outputs ?? [])
    .filter((o) => o.output_type === "stream" && o.name === "stdout")
    .map((o) => sourceText(o.text as string | string[]))
    .join("");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
}

export interface NotebookSummary {
  name: string;
  reproduced: string;
  fixVerified: string;
  ms: number;
  ok: boolean;
}

export function summarize(run: NotebookRun): NotebookSummary {
  const name = path.basename(run.file);
  const tagged = run.cells.filter((c) => c.raisesTag);
  const expected = (run.notebook.metadata?.tfjs_lab?.expected_errors ?? []) as string[];
  const raised = tagged.filter((c) => c.status === "error").map((c) => `${c.ename}: ${c.evalue}`);
  const missing = expected.filter((e) => !raised.some((r) => r.startsWith(e)));
  const others = run.cells.filter((c) => !c.raisesTag);
  const failed = others.filter((c) => c.status === "error");
  const skipped = others.filter((c) => c.status === "skipped");
  const notReproduced = run.notebook.metadata?.tfjs_lab?.not_reproduced as string | undefined;
  const found = findings(run);
  const nothingToReproduce = found.length ? found.join(" | ") : "(no failure to reproduce)";
  const reproduced =
    tagged.length === 0
      ? notReproduced
        ? `not reproduced: ${notReproduced}`
        : nothingToReproduce
      : raised.length === tagged.length && missing.length === 0
        ? raised.join(" | ")
        : raised.length < tagged.length
          ? `NO: ${tagged.length - raised.length} tagged cell(s) did not raise`
          : `NO: raised ${raised.join(" | ")}; expected ${missing.join(" | ")}`;
  const fixVerified =
    failed.length === 0 && skipped.length === 0
      ? `yes (${others.length} cells ran, proofs held)`
      : `NO: cell ${failed[0]?.index ?? skipped[0]?.index} failed${failed[0] ? ` with ${failed[0].ename}: ${failed[0].evalue}` : ""}`;
  const ok = !reproduced.startsWith("NO") && fixVerified.startsWith("yes");
  return { name, reproduced, fixVerified, ms: run.ms, ok };
}

export function summaryTable(rows: NotebookSummary[]): string {
  const head = ["notebook", "failure reproduced", "fix verified", "time"];
  const body = rows.map((r) => [
    r.name,
    r.reproduced.length > 90 ? `${r.reproduced.slice(0, 87)}...` : r.reproduced,
    r.fixVerified,
    `${(r.ms / 1000).toFixed(1)} s`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i])).join(" | ");
  return [line(head), w.map((x) => "-".repeat(x)).join("-+-"), ...body.map(line)].join("\n");
}
