// What the cell transforms ask of the compiled JavaScript's tree, each question answered in
// one place.
import * as ts from "@tslab/typescript-for-tslab";

/** tslab compiles a top-level name `x` to `exports.x`: the namespace object's name in the code. */
export const NAMESPACE = "exports";

export function isLoop(n: ts.Node): n is ts.IterationStatement {
  return ts.isForStatement(n) || ts.isForInStatement(n) || ts.isForOfStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
}

/** A function or class: code inside runs later, when called, not where it is written. */
export function isFunctionOrClass(n: ts.Node): boolean {
  return ts.isFunctionLike(n) || ts.isClassLike(n);
}

export function isWait(n: ts.Node): boolean {
  return ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && !!n.awaitModifier);
}

/** Whether `n`'s own code (not the functions and classes in it) waits anywhere. */
export function waitsOutsideFunctions(n: ts.Node): boolean {
  if (isFunctionOrClass(n)) return false;
  if (isWait(n)) return true;
  return ts.forEachChild(n, waitsOutsideFunctions) ?? false;
}

/** Whether running `n` can enter other code: a call, `new`, an iterator, a wait. */
export function callsOut(n: ts.Node): boolean {
  if (
    ts.isCallExpression(n) ||
    ts.isForOfStatement(n) ||
    ts.isNewExpression(n) ||
    ts.isTaggedTemplateExpression(n) ||
    ts.isAwaitExpression(n) ||
    ts.isYieldExpression(n) ||
    ts.isSpreadElement(n)
  )
    return true;
  return ts.forEachChild(n, callsOut) ?? false;
}

/** The member name of `exports.x`, else undefined. */
export function namespaceMember(n: ts.Node): string | undefined {
  if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === NAMESPACE && ts.isIdentifier(n.name)) {
    return n.name.text;
  }
  return undefined;
}

/** Whether `n` is the target of an assignment (`=`, `+=`, ...) or of `++`/`--`. */
export function isAssigned(n: ts.Node): boolean {
  const parent = n.parent;
  if (!parent) return false;
  if (ts.isBinaryExpression(parent) && parent.left === n) {
    return parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
  }
  const increments = (op: ts.SyntaxKind) => op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken;
  return (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) && increments(parent.operator);
}

/**
 * The namespace name a shorthand property `{ x }` means: tslab rewrites references to
 * earlier cells' variables as `exports.x` but leaves `{ x }` alone, so x (a namespace name
 * that no enclosing scope declares) would be a ReferenceError. Undefined when `n` is not such a shorthand.
 */
export function namespaceShorthand(n: ts.Node, namespaceNames: ReadonlySet<string>): string | undefined {
  if (!ts.isShorthandPropertyAssignment(n)) return undefined;
  const name = n.name.text;
  return namespaceNames.has(name) && !declaredInScope(n, name) ? name : undefined;
}

/** Names a node binds: identifiers and destructuring patterns. */
function boundNames(name: ts.BindingName | undefined, into: Set<string>): void {
  if (!name) return;
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(el.name, into);
}

/** Top-level names the cell declares itself (the compiled code keeps them as its own locals). */
export function topLevelDeclarations(sf: ts.SourceFile): Set<string> {
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

/** Whether `name` is declared by a scope enclosing `node` (parameters, block or file declarations, catch, loops). */
function declaredInScope(node: ts.Node, name: string): boolean {
  for (let a: ts.Node | undefined = node.parent; a; a = a.parent) {
    const names = new Set<string>();
    if (ts.isFunctionLike(a)) {
      for (const p of a.parameters) boundNames(p.name, names);
      if ((ts.isFunctionExpression(a) || ts.isClassExpression(a)) && a.name) names.add(a.name.text);
    }
    if (ts.isCatchClause(a) && a.variableDeclaration) boundNames(a.variableDeclaration.name, names);
    if (
      (ts.isForStatement(a) || ts.isForOfStatement(a) || ts.isForInStatement(a)) &&
      a.initializer &&
      ts.isVariableDeclarationList(a.initializer)
    ) {
      for (const d of a.initializer.declarations) boundNames(d.name, names);
    }
    const statements =
      ts.isBlock(a) || ts.isSourceFile(a) || ts.isModuleBlock(a)
        ? a.statements
        : ts.isCaseClause(a) || ts.isDefaultClause(a)
          ? a.statements
          : undefined;
    for (const st of statements ?? []) {
      if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) boundNames(d.name, names);
      else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) names.add(st.name.text);
    }
    if (names.has(name)) return true;
  }
  return false;
}
