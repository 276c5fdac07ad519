// Maps a position in a cell's executed JavaScript back to the TypeScript the user wrote, so a
// traceback says `at f (In[3]:2:14)` for the line that threw, not the line of the compiled
// code (tslab emits no source map, and its converter's TypeScript cannot be given one).
//
// The compiled code is the source with types erased, statements re-flowed by the printer and
// lines inserted (exports, loop hoisting, interrupt checks), so almost every token of the
// JavaScript is a token of the TypeScript, in the same order. A minimal token diff (Myers)
// between the two pairs them; a position maps through the nearest paired token of its line.
// The diff's cost grows with the differences, so the known ones are left out of it first: the
// TypeScript's types and the JavaScript's export lines. Computed only when a traceback needs
// it, then kept with the cell.
import * as ts from "@tslab/typescript-for-tslab";

interface Token {
  text: string;
  pos: number;
}

interface Position {
  line: number;
  column: number;
}

/** A diff costs O((n + m) * D) time and O(D^2) memory; past this many edits the cell is left unmapped. */
const MAX_EDITS = 2000;
/** Cells whose sources are kept for tracebacks (functions defined in old cells still throw). */
const MAX_CELLS = 500;

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The 0-based line and column of an offset. */
function lineAndColumn(starts: number[], pos: number): { line: number; column: number } {
  let lo = 0,
    hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: pos - starts[lo] };
}

/** Tokens of `text`, leaving out those inside the [start, end) ranges (sorted by start). */
function tokenize(text: string, skip: [number, number][] = []): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const start = () => (scanner as unknown as { getTokenStart?(): number }).getTokenStart?.() ?? scanner.getTokenPos();
  const tokens: Token[] = [];
  let r = 0;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    const pos = start();
    while (r < skip.length && skip[r][1] <= pos) r++;
    if (r < skip.length && skip[r][0] <= pos) continue;
    tokens.push({ text: scanner.getTokenText(), pos });
  }
  return tokens;
}

/** What compiling erases from TypeScript: type annotations with their colon, `as T`, type declarations. */
function typeRanges(text: string): [number, number][] {
  const sf = ts.createSourceFile("cell.ts", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const ranges: [number, number][] = [];
  const visit = (node: ts.Node, parent: ts.Node | undefined): void => {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      ranges.push([node.getStart(sf), node.end]);
      return;
    }
    if (ts.isTypeNode(node) && !ts.isExpressionWithTypeArguments(node)) {
      let start = node.getStart(sf);
      if (parent && (ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent))) start = parent.expression.end;
      else {
        let p = start - 1;
        while (p >= 0 && /\s/.test(text[p])) p--;
        if (text[p] === ":") start = p;
      }
      ranges.push([start, node.end]);
      return;
    }
    ts.forEachChild(node, (child) => visit(child, node));
  };
  visit(sf, undefined);
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** Lines the compiler adds to publish the cell's names: `exports.a = a;`, `exports.a = exports.b = void 0;`, the module marker. */
function exportLineRanges(js: string, starts: number[]): [number, number][] {
  const ranges: [number, number][] = [];
  starts.forEach((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] : js.length;
    const line = js.slice(start, end);
    if (/^\s*(exports\.[\w$]+ = )+([\w$]+|void 0);\s*$/.test(line) || /^\s*__lab_define\(exports, "__esModule"/.test(line)) {
      ranges.push([start, end]);
    }
  });
  return ranges;
}

/** For each token of `a`, the index of the token of `b` it is paired with, or -1 (Myers' diff). */
export function pairTokens(a: string[], b: string[], maxEdits = MAX_EDITS): Int32Array | undefined {
  const n = a.length,
    m = b.length,
    max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: the furthest x on diagonals -d-1 .. d+1 before round d, for the walk back.
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    // Round d writes only diagonals of d's parity and reads only the others: v updates in place.
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  // Walk the trace back from (n, m), recording the diagonal (paired) steps.
  const pairs = new Int32Array(n).fill(-1);
  let x = n,
    y = m;
  for (let d = found; d > 0; d--) {
    const row = trace[d];
    const prev = (diagonal: number) => row[diagonal + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && prev(k - 1) < prev(k + 1)) ? k + 1 : k - 1;
    const prevX = prev(prevK),
      prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      pairs[x] = y;
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    pairs[x] = y;
  }
  return pairs;
}

/**
 * One executed cell: its TypeScript, the JavaScript that ran, and (once a traceback needs
 * them, never for a cell that does not fail) their line starts and pairing.
 */
class CellSource {
  private mapping?: { jsTokens: Token[]; tsTokens: Token[]; pairs: Int32Array } | null;
  private jsStarts?: number[];
  private tsStarts?: number[];

  constructor(
    readonly typescript: string,
    private readonly javascript: string,
    private readonly firstLineOffset: number,
    readonly firstCellLine: number,
  ) {}

  private get jsLineStarts(): number[] {
    return (this.jsStarts ??= lineStarts(this.javascript));
  }
  private get tsLineStarts(): number[] {
    return (this.tsStarts ??= lineStarts(this.typescript));
  }

  /** The TypeScript line and column (1-based) of a 1-based position in the executed script. */
  map(line: number, column: number): Position | undefined {
    const m = this.pairing();
    if (!m || line < 1 || line > this.jsLineStarts.length) return undefined;
    const col = line === 1 ? column - 1 - this.firstLineOffset : column - 1;
    if (col < 0) return undefined;
    const lineStart = this.jsLineStarts[line - 1];
    const lineEnd = line < this.jsLineStarts.length ? this.jsLineStarts[line] : this.javascript.length;
    const pos = lineStart + col;
    // The token at the position, else the first one after it.
    let i = m.jsTokens.findIndex((t) => t.pos + t.text.length > pos);
    if (i < 0) i = m.jsTokens.length - 1;
    const onLine = (j: number) => j >= 0 && j < m.jsTokens.length && m.jsTokens[j].pos >= lineStart && m.jsTokens[j].pos < lineEnd;
    // The nearest paired token on the same line: forward first (V8 points at the start of the
    // expression that threw), then back.
    let j = i;
    while (onLine(j) && m.pairs[j] < 0) j++;
    if (!onLine(j)) for (j = i - 1; onLine(j) && m.pairs[j] < 0; j--);
    if (!onLine(j)) return undefined;
    const js = m.jsTokens[j],
      tsToken = m.tsTokens[m.pairs[j]];
    const within = j === i ? Math.max(0, Math.min(pos - js.pos, tsToken.text.length - 1)) : 0;
    const at = lineAndColumn(this.tsLineStarts, tsToken.pos + within);
    return { line: at.line + 1, column: at.column + 1 };
  }

  /** The text of a 1-based line of the TypeScript. */
  line(n: number): string {
    const start = this.tsLineStarts[n - 1];
    const end = n < this.tsLineStarts.length ? this.tsLineStarts[n] : this.typescript.length;
    return this.typescript.slice(start, end).replace(/\r?\n$/, "");
  }

  private pairing() {
    if (this.mapping === undefined) {
      const jsTokens = tokenize(this.javascript, exportLineRanges(this.javascript, this.jsLineStarts));
      const tsTokens = tokenize(this.typescript, typeRanges(this.typescript));
      const pairs = pairTokens(
        jsTokens.map((t) => t.text),
        tsTokens.map((t) => t.text),
      );
      this.mapping = pairs ? { jsTokens, tsTokens, pairs } : null;
    }
    return this.mapping ?? undefined;
  }
}

const cells = new Map<string, CellSource>();

/**
 * The vm script name of code starting on `firstLine` of a cell: the cell's name (In[n]) for
 * code from its first line, with `~line` after it for a later part of the cell, so that each
 * part's frames find its own source.
 */
export function scriptNameFor(cellName: string, firstLine: number): string {
  return firstLine === 1 ? cellName : `${cellName}~${firstLine}`;
}

/**
 * Remembers what ran under a script name. `firstLineOffset` is the length of the wrapper
 * text before the JavaScript on the script's first line; `firstCellLine` the cell line the
 * TypeScript starts on.
 */
export function recordCellSource(
  scriptName: string,
  typescript: string,
  javascript: string,
  firstLineOffset: number,
  firstCellLine = 1,
): void {
  cells.delete(scriptName);
  cells.set(scriptName, new CellSource(typescript, javascript, firstLineOffset, firstCellLine));
  if (cells.size > MAX_CELLS) cells.delete(cells.keys().next().value!);
}

const CELL_FRAME = /^(\s+at .*?)((In\[\d+\])(?:~\d+)?):(\d+):(\d+)(\)?)$/;

/**
 * Stack frames with cell positions rewritten to the TypeScript source, each followed by the
 * line it points at (as Python's tracebacks show it). Other frames pass through unchanged.
 */
export function mapCellFrames(frames: string[]): string[] {
  const out: string[] = [];
  for (const frame of frames) {
    const m = CELL_FRAME.exec(frame);
    const cell = m ? cells.get(m[2]) : undefined;
    const at = cell?.map(Number(m![4]), Number(m![5]));
    if (!m || !cell || !at) {
      // Unmapped: the compiled code's position, under the cell's own name.
      out.push(m ? `${m[1]}${m[3]}:${m[4]}:${m[5]}${m[6]}` : frame);
      continue;
    }
    out.push(`${m[1]}${m[3]}:${at.line + cell.firstCellLine - 1}:${at.column}${m[6]}`);
    const text = cell.line(at.line).trim();
    if (text) out.push(`        ${text}`);
  }
  return out;
}
