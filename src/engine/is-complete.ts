// is_complete_request: whether a cell is ready to run (complete), needs more lines
// (incomplete, with the indent for the next line) or can never run (invalid).
import * as ts from "@tslab/typescript-for-tslab";
import type { IsCompleteReplyContent } from "./types";
import { typescriptOnly } from "../magics/parse";

export function isCompleteCell(code: string): IsCompleteReplyContent {
  if (/^\s*%%/.test(code)) return { status: "complete" };
  // Magic and shell lines are not TypeScript: blanked, keeping line structure.
  const src = typescriptOnly(code);
  const sf = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (diags.length === 0) return { status: "complete" };
  const end = src.trimEnd().length;
  // Errors only at the very end (an unclosed bracket, string or template): more input may fix it.
  const atEnd = diags.every((d) => d.start >= end - 1 || (/expected|Unterminated/.test(String(d.messageText)) && d.start >= end - 1));
  if (!atEnd) return { status: "invalid" };
  const lastLine = src.split("\n").pop() ?? "";
  const indent = lastLine.match(/^\s*/)![0] + (/[{([]\s*$/.test(lastLine) ? "  " : "");
  return { status: "incomplete", indent };
}
