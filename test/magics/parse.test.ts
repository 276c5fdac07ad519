// The magic parser: a `%` or `!` line is a magic or a command only where a statement may
// start; a line that continues a TypeScript statement is code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { endsInsideStatement, parseCell, typescriptOnly, type CellPart } from "../../src/magics/parse";

const kinds = (cell: string) => parseCell(cell).map((p) => p.kind);
const codeOf = (parts: CellPart[]) => parts.filter((p) => p.kind === "code").map((p) => (p as { text: string }).text);

test("a continuation line that starts with ! is code, not a shell command (a formatter's layout)", () => {
  const cell = "const ok = ready &&\n  !failed;";
  assert.deepEqual(kinds(cell), ["code"]);
  assert.deepEqual(codeOf(parseCell(cell)), [cell]);
  // inside an open call, array, object or template the line is still code
  assert.deepEqual(kinds("check(\n  !a,\n  !b,\n);"), ["code"]);
  assert.deepEqual(kinds("const flags = [\n!x,\n];"), ["code"]);
  assert.deepEqual(kinds("const s = `\n!not a command\n`;"), ["code"]);
  assert.deepEqual(kinds("if (ready)\n  !failed && go();"), ["code"]);
  assert.deepEqual(kinds("const ok = ready && // why\n  !failed;"), ["code"]);
});

test("a ! line after a complete statement is still a shell command, with its line", () => {
  const parts = parseCell("const ok = ready && !failed;\n!ls -la\nok");
  assert.deepEqual(parts, [
    { kind: "code", text: "const ok = ready && !failed;", line: 1 },
    { kind: "shell", command: "ls -la", line: 2 },
    { kind: "code", text: "ok", line: 3 },
  ]);
  // a statement ended by its line (no semicolon) is complete too
  assert.deepEqual(kinds("const a = 1\n!ls"), ["code", "shell"]);
  assert.deepEqual(kinds("!ls"), ["shell"]);
  // `!=` and a lone `!` were never commands
  assert.deepEqual(kinds("a\n!= b"), ["code"]);
});

test("line magics follow the same rule: a %name line after a complete statement is a magic, inside an open one code", () => {
  assert.deepEqual(kinds("const r = total\n  %time"), ["code", "line-magic"]);
  assert.deepEqual(kinds("const r = (total\n%time\n)"), ["code"]);
  const parts = parseCell("let a = 1;\n%time a + 1\n%who?");
  assert.deepEqual(
    parts.map((p) => [p.kind, p.line]),
    [
      ["code", 1],
      ["line-magic", 2],
      ["magic-help", 3],
    ],
  );
});

test("endsInsideStatement: the parser's errors at the very end mean the next line continues", () => {
  for (const open of ["ready &&", "foo(", "const s = `abc", "/* a comment", "let o = {", "a ? b :", "x = 1; y =", "f(a, // note"]) {
    assert.equal(endsInsideStatement(open), true, open);
  }
  for (const closed of ["", "ready && !failed", "const a = 1", "foo()\n  .bar", "for (;;) {}", "let x = (1 +)\nconst y = 2;"]) {
    assert.equal(endsInsideStatement(closed), false, closed);
  }
});

test("typescriptOnly blanks magic and shell lines and keeps every offset", () => {
  const cell = "const a = 1;\n%time a + 1\n!ls\nconst ok = ready &&\n  !failed;";
  const ts = typescriptOnly(cell);
  assert.equal(ts.length, cell.length);
  assert.deepEqual(ts.split("\n"), ["const a = 1;", "           ", "   ", "const ok = ready &&", "  !failed;"]);
  // of a %%magic cell only the %% line: the body is TypeScript
  assert.equal(typescriptOnly("%%time\nconst b = 2;"), "      \nconst b = 2;");
  assert.equal(typescriptOnly("tf.tensor?"), "tf.tensor?");
});
