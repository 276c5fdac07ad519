// YOLOv5's results.csv: one row per finished epoch, the header padded with spaces
// ("%20s," per column) and the values written with "%20.5g" (so "nan" and "inf" occur).
// A run killed while writing leaves a cut-off last line and a crashed run an empty or missing
// file: those give warnings, never an exception, so the other runs of a load still come.
import * as fs from "node:fs";
import * as aq from "arquero";

export type ResultsTable = aq.ColumnTable;

export interface ParsedResults {
  /** Trimmed column names, in file order. */
  columns: string[];
  /** One array per column; a value that is not a number is NaN. */
  values: Record<string, number[]>;
  warnings: string[];
}

/** More bad rows than this are counted, not listed (a garbled file must not flood the cell). */
const MAX_ROW_WARNINGS = 10;

// Python's "%g" spellings of the non-finite floats, as train.py writes a diverged loss.
const PYTHON_FLOATS: Record<string, number> = { nan: NaN, "-nan": NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity };

function parseValue(text: string): number | undefined {
  const special = PYTHON_FLOATS[text.toLowerCase()];
  if (special !== undefined) return special;
  if (text === "") return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

function uniqueNames(raw: string[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((name, i) => {
    const base = name || `column${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/** Parses results.csv text; `file` names the file in warnings (`file:17: expected 14 values, found 9`). */
export function parseResultsCsv(text: string, file: string): ParsedResults {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const endsWithNewline = lines.length > 1 && lines[lines.length - 1] === "";
  if (endsWithNewline) lines.pop();
  const headerAt = lines.findIndex((l) => l.trim() !== "");
  if (headerAt < 0) return { columns: [], values: {}, warnings: [`${file}: empty (the run stopped before its first epoch ended?)`] };

  const columns = uniqueNames(lines[headerAt].split(",").map((s) => s.trim()));
  const values: Record<string, number[]> = Object.fromEntries(columns.map((c) => [c, []]));
  const rowWarnings: string[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const lineNo = i + 1;
    const cells = line.split(",").map((s) => s.trim());
    if (cells.length !== columns.length) {
      const cutOff = i === lines.length - 1 && !endsWithNewline ? " (the last line is cut off: was the run stopped while writing it?)" : "";
      rowWarnings.push(`${file}:${lineNo}: expected ${columns.length} values, found ${cells.length}${cutOff}`);
      continue;
    }
    cells.forEach((cell, c) => {
      const v = parseValue(cell);
      if (v === undefined) rowWarnings.push(`${file}:${lineNo}: ${JSON.stringify(cell)} in column ${columns[c]} is not a number`);
      values[columns[c]].push(v ?? NaN);
    });
  }
  const warnings = rowWarnings.slice(0, MAX_ROW_WARNINGS);
  if (rowWarnings.length > MAX_ROW_WARNINGS) warnings.push(`${file}: ${rowWarnings.length - MAX_ROW_WARNINGS} more bad values or rows`);
  if (!values[columns[0]].length && !rowWarnings.length) warnings.push(`${file}: a header but no epochs`);
  return { columns, values, warnings };
}

/** results.csv as an arquero table; an empty table and a warning when the file is missing or unreadable. */
export function readResultsCsv(file: string): { table: ResultsTable; warnings: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "missing (the run stopped before its first epoch ended?)" : `unreadable (${code ?? (e as Error).message})`;
    return { table: aq.table({}), warnings: [`${file}: ${why}`] };
  }
  const parsed = parseResultsCsv(text, file);
  // Columns in file order: arquero keeps the key order of the object it is given.
  const table = aq.table(Object.fromEntries(parsed.columns.map((c) => [c, parsed.values[c]])));
  return { table, warnings: parsed.warnings };
}
