// Splits a cell into what runs: TypeScript code, line magics (`%name args`), a cell magic
// (`%%name args` on the first line), shell commands (`!cmd`), and help (`%name?`, `expr?`).
// A magic or shell line is a line that starts with `%` or `!` where a statement may start:
// a line that continues an unfinished TypeScript statement is code, whatever its first
// character (a formatter writes `ready &&\n  !failed`, and `!failed` is not a command).
import * as ts from "@tslab/typescript-for-tslab";

export type CellPart =
  | { kind: "code"; text: string; line: number }
  | { kind: "line-magic"; name: string; args: string; line: number }
  | { kind: "cell-magic"; name: string; args: string; body: string; line: number }
  | { kind: "shell"; command: string; line: number }
  | { kind: "magic-help"; name: string; line: number }
  | { kind: "inspect"; expr: string; detail: number; line: number };

const MAGIC_LINE = /^%([A-Za-z_][\w-]*)(\?{1,2})?(?:\s+([\s\S]*))?$/;
const CELL_MAGIC = /^\s*%%([A-Za-z_][\w-]*)(\?{1,2})?([^\n]*)(?:\n([\s\S]*))?$/;

/**
 * Whether TypeScript `code` stops inside a statement: the parser's errors are at its very
 * end (after the last token: an operator with no operand, an open bracket, string,
 * template or comment), so the next line continues it.
 */
export function endsInsideStatement(code: string): boolean {
  if (!code.trim()) return false;
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const lastTokenEnd = sf.endOfFileToken.pos;
  return diagnostics.some((d) => d.start >= lastTokenEnd);
}

/** The magic or shell part a line is, when it stands where a statement may start. */
function magicOrShell(raw: string, lineNo: number): CellPart | undefined {
  const l = raw.trimStart();
  if (l.startsWith("%") && !l.startsWith("%%")) {
    const m = MAGIC_LINE.exec(l.trimEnd());
    if (!m) return undefined;
    return m[2]
      ? { kind: "magic-help", name: m[1], line: lineNo }
      : { kind: "line-magic", name: m[1], args: (m[3] ?? "").trim(), line: lineNo };
  }
  if (l.startsWith("!") && !l.startsWith("!=") && l.length > 1) return { kind: "shell", command: l.slice(1), line: lineNo };
  return undefined;
}

export function parseCell(cell: string): CellPart[] {
  const first = CELL_MAGIC.exec(cell);
  if (first && !/^\s*%%/.test(cell.slice(0, cell.indexOf("%%")))) {
    if (first[2]) return [{ kind: "magic-help", name: first[1], line: 1 }];
    return [{ kind: "cell-magic", name: first[1], args: first[3].trim(), body: first[4] ?? "", line: 1 }];
  }
  // A whole-cell `expr?` / `?expr` asks for the inspector, as in IPython.
  const trimmed = cell.trim();
  const q = /^\?{1,2}([\w$.]+)$|^([\w$.]+)(\?{1,2})$/.exec(trimmed);
  if (q) return [{ kind: "inspect", expr: q[1] ?? q[2], detail: (q[3] ?? trimmed.match(/^\?+/)![0]).length - 1, line: 1 }];

  const parts: CellPart[] = [];
  let code: string[] = [],
    codeStart = 1;
  const flush = () => {
    if (code.some((l) => l.trim())) parts.push({ kind: "code", text: code.join("\n"), line: codeStart });
    code = [];
  };
  cell.split("\n").forEach((raw, i) => {
    const lineNo = i + 1;
    const part = magicOrShell(raw, lineNo);
    // Parsed only when a line looks like a magic: most cells have none.
    if (part && !endsInsideStatement(code.join("\n"))) {
      flush();
      parts.push(part);
      codeStart = lineNo + 1;
    } else {
      if (!code.length) codeStart = lineNo;
      code.push(raw);
    }
  });
  flush();
  return parts;
}

/**
 * The cell as the TypeScript compiler should see it for completion, hover and is_complete:
 * magic and shell lines blanked with spaces (offsets and lines kept), code as it is. Of a
 * %%magic cell only the %% line is blanked: its body is usually TypeScript.
 */
export function typescriptOnly(cell: string): string {
  const lines = cell.split("\n");
  const blank = new Set<number>();
  if (CELL_MAGIC.test(cell)) blank.add(lines.findIndex((l) => l.trimStart().startsWith("%%")) + 1);
  else for (const part of parseCell(cell)) if (part.kind !== "code" && part.kind !== "inspect") blank.add(part.line);
  return lines.map((l, i) => (blank.has(i + 1) ? " ".repeat(l.length) : l)).join("\n");
}
