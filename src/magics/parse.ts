// Splits a cell into what runs: TypeScript code, line magics (`%name args`), a cell magic
// (`%%name args` on the first line), shell commands (`!cmd`), and help (`%name?`, `expr?`).
// Magic and shell lines are recognised only at the start of a line, outside any TypeScript
// statement that spans lines.

export type CellPart =
  | { kind: "code"; text: string; line: number }
  | { kind: "line-magic"; name: string; args: string; line: number }
  | { kind: "cell-magic"; name: string; args: string; body: string; line: number }
  | { kind: "shell"; command: string; line: number }
  | { kind: "magic-help"; name: string; line: number }
  | { kind: "inspect"; expr: string; detail: number; line: number };

const MAGIC_LINE = /^%([A-Za-z_][\w-]*)(\?{1,2})?(?:\s+([\s\S]*))?$/;

export function parseCell(cell: string): CellPart[] {
  const first = /^\s*%%([A-Za-z_][\w-]*)(\?{1,2})?([^\n]*)(?:\n([\s\S]*))?$/.exec(cell);
  if (first && !/^\s*%%/.test(cell.slice(0, cell.indexOf("%%")))) {
    if (first[2]) return [{ kind: "magic-help", name: first[1], line: 1 }];
    return [{ kind: "cell-magic", name: first[1], args: first[3].trim(), body: first[4] ?? "", line: 1 }];
  }
  // A whole-cell `expr?` / `?expr` asks for the inspector, as in IPython.
  const trimmed = cell.trim();
  const q = /^\?{1,2}([\w$.]+)$|^([\w$.]+)(\?{1,2})$/.exec(trimmed);
  if (q) return [{ kind: "inspect", expr: q[1] ?? q[2], detail: (q[3] ?? trimmed.match(/^\?+/)![0]).length - 1, line: 1 }];

  const parts: CellPart[] = [];
  const lines = cell.split("\n");
  let code: string[] = [], codeStart = 1;
  const flush = () => {
    if (code.some((l) => l.trim())) parts.push({ kind: "code", text: code.join("\n"), line: codeStart });
    code = [];
  };
  lines.forEach((raw, i) => {
    const l = raw.trimStart();
    const lineNo = i + 1;
    const m = l.startsWith("%") && !l.startsWith("%%") ? MAGIC_LINE.exec(l.trimEnd()) : null;
    if (m) {
      flush();
      parts.push(m[2] ? { kind: "magic-help", name: m[1], line: lineNo } : { kind: "line-magic", name: m[1], args: (m[3] ?? "").trim(), line: lineNo });
      codeStart = lineNo + 1;
    } else if (l.startsWith("!") && !l.startsWith("!=") && l.length > 1) {
      flush();
      parts.push({ kind: "shell", command: l.slice(1), line: lineNo });
      codeStart = lineNo + 1;
    } else {
      if (!code.length) codeStart = lineNo;
      code.push(raw);
    }
  });
  flush();
  return parts;
}
