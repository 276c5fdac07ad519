// The parts of nbformat 4 the runner reads and writes.
import * as fs from "node:fs";

export type MultilineString = string | string[];
export interface Output {
  output_type: string;
  [k: string]: unknown;
}
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: { tags?: string[]; [k: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
  id?: string;
}
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: Cell[];
}

export function sourceText(s: MultilineString): string {
  return Array.isArray(s) ? s.join("") : s;
}

export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a readable notebook (${(e as Error).message})`);
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells))
    throw new Error(`${file}: only nbformat 4 notebooks can be run (found nbformat ${nb.nbformat})`);
  return nb;
}

/** Jupyter's own layout: one-space indent, sorted keys, trailing newline. */
export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, `${JSON.stringify(sortKeys(nb), null, 1)}\n`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as any)[k])]),
    );
  return v;
}

export function hasTag(cell: Cell, tag: string): boolean {
  return (cell.metadata?.tags ?? []).includes(tag);
}
