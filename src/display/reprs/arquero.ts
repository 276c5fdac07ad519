// arquero tables: HTML (arquero's own) plus a fixed-width text table for text-only viewers.
import { escapeHtml, registerRepr, type Rich } from "../mime";

export interface TableLike {
  numRows(): number;
  numCols(): number;
  columnNames(): string[];
  objects(options?: { limit?: number }): Record<string, unknown>[];
  toHTML(options?: { limit?: number }): string;
}

export function isTable(v: unknown): v is TableLike {
  const t = v as TableLike | null;
  return (
    !!t &&
    typeof t === "object" &&
    typeof t.numRows === "function" &&
    typeof t.columnNames === "function" &&
    typeof t.toHTML === "function" &&
    typeof t.objects === "function"
  );
}

const LIMIT = 50;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, "");
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return String(v);
}

export function tableText(t: TableLike, limit = LIMIT): string {
  const cols = t.columnNames();
  const rows = t.objects({ limit }).map((r) => cols.map((c) => cellText(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padStart(widths[i])).join("  ");
  const out = [line(cols), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  if (t.numRows() > limit) out.push(`... ${t.numRows() - limit} more rows (${t.numRows()} in all)`);
  return out.join("\n");
}

function tableRepr(v: unknown): Rich | undefined {
  if (!isTable(v)) return undefined;
  const more = v.numRows() > LIMIT ? `<p>${v.numRows() - LIMIT} more rows (${v.numRows()} in all)</p>` : "";
  return {
    data: {
      "text/plain": tableText(v),
      "text/html": `<div class="tfjs-lab-table">${v.toHTML({ limit: LIMIT })}${more}</div>`,
    },
    metadata: {},
  };
}

registerRepr(tableRepr);
export { escapeHtml };
