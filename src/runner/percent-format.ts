// Notebook sources in the "percent" format (as jupytext writes it, with // comments), so
// the notebooks are reviewed as plain TypeScript diffs and built into .ipynb:
//
//   // expected-error: ValueError: Expected input batch_size (32) to match target batch_size (64).
//   // %% [markdown]
//   // # Title
//   // %% tags=["raises-exception"]
//   const loss = lab.crossEntropy(logits, targets);
//
// Header lines before the first cell: `// title: ...`, `// expected-error: ...` (one per
// documented error, checked by the tests and the reproduce table), and `// not-reproduced: ...`
// for a notebook that shows why a reported failure does not happen as reported (the reproduce
// table prints the reason instead of an error).
import { createHash } from "node:crypto";
import type { Cell, Notebook } from "./nbformat";

const CELL = /^\/\/ %%(?:\s+\[(markdown|raw)\])?(?:\s+tags=(\[.*\]))?\s*$/;

function cellId(text: string, index: number): string {
  return createHash("sha1").update(`${index}:${text}`).digest("hex").slice(0, 8);
}

function lines(text: string): string[] {
  const parts = text.split("\n");
  return parts.map((l, i) => (i < parts.length - 1 ? `${l}\n` : l)).filter((l) => l !== "");
}

export function percentToNotebook(src: string, file = "notebook"): Notebook {
  const expected: string[] = [];
  let notReproduced: string | undefined;
  const cells: Cell[] = [];
  let current: { type: Cell["cell_type"]; tags: string[]; body: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    while (current.body.length && !current.body[current.body.length - 1].trim()) current.body.pop();
    let text = current.body.join("\n");
    if (current.type === "markdown") text = current.body.map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
    const cell: Cell = {
      cell_type: current.type,
      id: cellId(text, cells.length),
      metadata: current.tags.length ? { tags: current.tags } : {},
      source: lines(text),
    };
    if (current.type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
    cells.push(cell);
  };
  src.split("\n").forEach((line, i) => {
    const m = CELL.exec(line);
    if (m) {
      finish();
      let tags: string[] = [];
      if (m[2]) {
        try {
          tags = JSON.parse(m[2]);
        } catch {
          throw new Error(`${file}:${i + 1}: tags must be a JSON list, e.g. tags=["raises-exception"]`);
        }
      }
      current = { type: (m[1] as Cell["cell_type"]) ?? "code", tags, body: [] };
    } else if (current) {
      current.body.push(line);
    } else {
      const h = /^\/\/ expected-error:\s*(.+)$/.exec(line);
      const n = /^\/\/ not-reproduced:\s*(.+)$/.exec(line);
      if (h) expected.push(h[1].trim());
      else if (n) notReproduced = n[1].trim();
      else if (line.trim() && !line.startsWith("//")) throw new Error(`${file}:${i + 1}: code before the first "// %%" cell marker`);
    }
  });
  finish();
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tfjs-lab", display_name: "TypeScript (tfjs-lab)", language: "typescript" },
      language_info: {
        name: "typescript",
        file_extension: ".ts",
        mimetype: "text/typescript",
        codemirror_mode: { name: "javascript", typescript: true },
      },
      tfjs_lab: { expected_errors: expected, not_reproduced: notReproduced }, // JSON leaves out an undefined reason
    },
    cells,
  };
}
