// Keeps hot loops on top-level variables at local-variable speed.
//
// tslab compiles a top-level variable to a property of a shared namespace object
// (`exports.x`), so every read and write in a loop is a property access on it (tslab made
// that object a Proxy: about 500x slower than a local). For each top-level loop we copy the
// namespace variables it touches into locals before the loop and write them back after it
// (in a `finally`, so an exception or an interrupt keeps the latest values).
//
// Skipped, to keep semantics exact: loops that contain `await` (other code may run while
// they wait), loops that call a top-level function of the namespace (it could read the
// variable), and variables referenced from a function or class defined inside the loop.
import * as ts from "@tslab/typescript-for-tslab";

const NAMESPACE = "exports";
const PREFIX = "__lab_local_";

interface Edit { start: number; end: number; text: string }

function isFunctionLike(n: ts.Node): boolean {
  return ts.isFunctionLike(n) || ts.isClassLike(n);
}

function namespaceMember(n: ts.Node): string | undefined {
  if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === NAMESPACE && ts.isIdentifier(n.name)) {
    return n.name.text;
  }
  return undefined;
}

function isLoop(s: ts.Statement): boolean {
  return ts.isForStatement(s) || ts.isForInStatement(s) || ts.isForOfStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s);
}

/** Top-level names this cell declares itself (the transpiled code uses its own locals for them). */
function cellLocals(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
    } else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) {
      names.add(s.name.text);
    }
  }
  return names;
}

function analyseLoop(loop: ts.Statement, locals: Set<string>) {
  const reads = new Set<string>();     // namespace members used (not this cell's locals)
  const written = new Set<string>();   // namespace members assigned
  const mirrored = new Set<string>();  // this cell's locals mirrored into the namespace (`exports.x = x += 1`)
  const excluded = new Set<string>();
  let unsafe = false;
  const visit = (n: ts.Node, inFunction: boolean): void => {
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) unsafe = true;
    if (ts.isCallExpression(n) && namespaceMember(n.expression) !== undefined) unsafe = true;
    const member = namespaceMember(n);
    if (member !== undefined && member !== "__esModule") {
      if (inFunction) excluded.add(member);
      else if (locals.has(member)) mirrored.add(member);
      else reads.add(member);
      const parent = n.parent;
      if (parent && ts.isBinaryExpression(parent) && parent.left === n && parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment) written.add(member);
      if (parent && (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent))) written.add(member);
    }
    ts.forEachChild(n, (c) => visit(c, inFunction || isFunctionLike(n)));
  };
  visit(loop, false);
  if (unsafe) return undefined;
  for (const e of excluded) { reads.delete(e); mirrored.delete(e); }
  return { reads, written, mirrored };
}

export function hoistLoopLocals(js: string): string {
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const locals = cellLocals(sf);
  const edits: Edit[] = [];
  for (const loop of sf.statements.filter(isLoop)) {
    const info = analyseLoop(loop, locals);
    if (!info || (info.reads.size === 0 && info.mirrored.size === 0)) continue;
    const inner: Edit[] = [];
    const visit = (n: ts.Node): void => {
      const member = namespaceMember(n);
      if (member !== undefined) {
        if (info.reads.has(member)) { inner.push({ start: n.getStart(sf), end: n.end, text: PREFIX + member }); return; }
        // `exports.x = <expr>` where x is this cell's local: keep `<expr>`, mirror once after the loop.
        const parent = n.parent;
        if (info.mirrored.has(member) && ts.isBinaryExpression(parent) && parent.left === n && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
          inner.push({ start: parent.getStart(sf), end: parent.right.getStart(sf), text: "" });
          ts.forEachChild(parent.right, visit);
          return;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(loop);
    let body = js.slice(loop.getStart(sf), loop.end);
    const base = loop.getStart(sf);
    for (const e of inner.sort((a, b) => b.start - a.start)) body = body.slice(0, e.start - base) + e.text + body.slice(e.end - base);
    const prologue = [...info.reads].map((m) => `let ${PREFIX}${m} = ${NAMESPACE}.${m};`).join(" ");
    const writeBack = [
      ...[...info.reads].filter((m) => info.written.has(m)).map((m) => `${NAMESPACE}.${m} = ${PREFIX}${m};`),
      ...[...info.mirrored].map((m) => `${NAMESPACE}.${m} = ${m};`),
    ].join(" ");
    const text = writeBack
      ? `{ ${prologue} try {\n${body}\n} finally { ${writeBack} } }`
      : `{ ${prologue}\n${body}\n}`;
    edits.push({ start: base, end: loop.end, text });
  }
  let out = js;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * Whether the transpiled cell awaits at its top level (outside any function). tslab's own
 * flag misses `for await` nested in a loop; the cell must then run as an async function.
 */
export function awaitsAtTopLevel(js: string): boolean {
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) { found = true; return; }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * tslab rewrites references to earlier cells' variables as `exports.x` but leaves the
 * shorthand property `{ x }` alone, which then throws ReferenceError. Expand `{ x }` to
 * `{ x: exports.x }` when x is a namespace variable the cell does not declare anywhere.
 */
export function expandNamespaceShorthands(js: string, namespaceNames: ReadonlySet<string>): string {
  if (!js.includes("{")) return js;
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const shorthands: ts.ShorthandPropertyAssignment[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(n) && namespaceNames.has(n.name.text) && !declaredInScope(n, n.name.text)) shorthands.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = js;
  for (const n of shorthands.sort((a, b) => b.getStart(sf) - a.getStart(sf))) {
    out = out.slice(0, n.getStart(sf)) + `${n.name.text}: ${NAMESPACE}.${n.name.text}` + out.slice(n.end);
  }
  return out;
}

/** Names a node binds: identifiers and destructuring patterns. */
function boundNames(name: ts.BindingName | undefined, into: Set<string>): void {
  if (!name) return;
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(el.name, into);
}

/** Whether `name` is declared by a scope enclosing `node` (parameters, block or file declarations, catch, loops). */
function declaredInScope(node: ts.Node, name: string): boolean {
  for (let a: ts.Node | undefined = node.parent; a; a = a.parent) {
    const names = new Set<string>();
    if (ts.isFunctionLike(a)) {
      for (const p of a.parameters) boundNames(p.name, names);
      if ((ts.isFunctionExpression(a) || ts.isClassExpression(a)) && a.name) names.add(a.name.text);
    }
    if (ts.isCatchClause(a) && a.variableDeclaration) boundNames(a.variableDeclaration.name, names);
    if ((ts.isForStatement(a) || ts.isForOfStatement(a) || ts.isForInStatement(a)) && a.initializer && ts.isVariableDeclarationList(a.initializer)) {
      for (const d of a.initializer.declarations) boundNames(d.name, names);
    }
    const statements = ts.isBlock(a) || ts.isSourceFile(a) || ts.isModuleBlock(a) ? a.statements : ts.isCaseClause(a) || ts.isDefaultClause(a) ? a.statements : undefined;
    for (const st of statements ?? []) {
      if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) boundNames(d.name, names);
      else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) names.add(st.name.text);
    }
    if (names.has(name)) return true;
  }
  return false;
}
