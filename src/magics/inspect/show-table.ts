// Shows an arquero table as HTML and fixed-width text, with rows that need attention
// highlighted (the plain arquero repr cannot style rows).
import type { MagicContext } from "../registry";
import { tableText } from "../../display";
import type { TableLike } from "../../display/reprs/arquero";

export interface ShowTableOptions {
  /** Row indexes to highlight. */
  flagged?: Set<number>;
  /** A line shown under the table. */
  note?: string;
  limit?: number;
}

const FLAG_STYLE = "background-color: #fde2e1; color: #8a1c13; font-weight: bold;";

/** `table`: an arquero table. */
export function showTable(ctx: MagicContext, arqueroTable: object, opts: ShowTableOptions = {}): void {
  const table = arqueroTable as TableLike & { toHTML(o: object): string };
  const limit = opts.limit ?? 200;
  const flagged = opts.flagged ?? new Set<number>();
  const html = table.toHTML({ limit, style: { tr: (_col: string, row: number) => (flagged.has(row) ? FLAG_STYLE : "") } });
  const note = opts.note ? opts.note : "";
  const more = table.numRows() > limit ? `${table.numRows() - limit} more rows (${table.numRows()} in all)` : "";
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  ctx.sink.display(
    {
      "text/plain": [tableText(table, limit), note].filter(Boolean).join("\n"),
      "text/html": `<div class="tfjs-lab-table">${html}${more ? `<p>${more}</p>` : ""}${note ? `<p>${esc(note)}</p>` : ""}</div>`,
    },
    {},
    {},
    false,
  );
}
