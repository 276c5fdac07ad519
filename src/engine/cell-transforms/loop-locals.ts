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
// variable), and variables referenced from a function or class defined inside the loop or
// written as a shorthand property `{ x }` in it (namespace-shorthands.ts rewrites those to
// read the namespace itself).
import * as ts from "@tslab/typescript-for-tslab";
import type { CellTransform, CompiledCell } from "./compiled-cell";
import { OUTERMOST_CLOSE, OUTERMOST_OPEN, type CellEdits } from "./edits";
import {
  NAMESPACE,
  isAssigned,
  isFunctionOrClass,
  isLoop,
  isWait,
  namespaceMember,
  namespaceShorthand,
  topLevelDeclarations,
} from "./predicates";

const PREFIX = "__lab_local_";

interface LoopVariables {
  /** Namespace members used in the loop (not this cell's own locals): read into locals. */
  reads: Set<string>;
  /** Namespace members assigned in the loop: written back after it. */
  written: Set<string>;
  /** This cell's locals mirrored into the namespace (`exports.x = x += 1`): mirrored once after the loop. */
  mirrored: Set<string>;
}

function analyseLoop(loop: ts.Statement, cell: CompiledCell, locals: Set<string>): LoopVariables | undefined {
  const vars: LoopVariables = { reads: new Set(), written: new Set(), mirrored: new Set() };
  const excluded = new Set<string>();
  let unsafe = false;
  const visit = (n: ts.Node, inFunction: boolean): void => {
    if (isWait(n)) unsafe = true;
    if (ts.isCallExpression(n) && namespaceMember(n.expression) !== undefined) unsafe = true;
    const shorthand = namespaceShorthand(n, cell.namespaceNames);
    if (shorthand !== undefined) excluded.add(shorthand);
    const member = namespaceMember(n);
    if (member !== undefined && member !== "__esModule") {
      if (inFunction) excluded.add(member);
      else if (locals.has(member)) vars.mirrored.add(member);
      else vars.reads.add(member);
      if (isAssigned(n)) vars.written.add(member);
    }
    ts.forEachChild(n, (c) => visit(c, inFunction || isFunctionOrClass(n)));
  };
  visit(loop, false);
  if (unsafe) return undefined;
  for (const e of excluded) {
    vars.reads.delete(e);
    vars.mirrored.delete(e);
  }
  return vars;
}

/** Reads and writes of the loop's variables go to the locals; mirrored assignments keep only their value. */
function renameInLoop(loop: ts.Statement, vars: LoopVariables, sf: ts.SourceFile, edits: CellEdits): void {
  const visit = (n: ts.Node): void => {
    const member = namespaceMember(n);
    if (member !== undefined) {
      if (vars.reads.has(member)) {
        edits.replace(n.getStart(sf), n.end, PREFIX + member);
        return;
      }
      // `exports.x = <expr>` where x is this cell's local: keep `<expr>` (the walk goes on
      // into it from the assignment), mirror once after the loop.
      const parent = n.parent;
      if (
        vars.mirrored.has(member) &&
        ts.isBinaryExpression(parent) &&
        parent.left === n &&
        parent.operatorToken.kind === ts.SyntaxKind.EqualsToken
      ) {
        edits.replace(parent.getStart(sf), parent.right.getStart(sf), "");
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(loop);
}

export const hoistLoopLocals: CellTransform = {
  name: "loop locals",
  collect(cell, edits) {
    const sf = cell.tree;
    const locals = topLevelDeclarations(sf);
    for (const loop of sf.statements.filter(isLoop)) {
      const vars = analyseLoop(loop, cell, locals);
      if (!vars || (vars.reads.size === 0 && vars.mirrored.size === 0)) continue;
      renameInLoop(loop, vars, sf, edits);
      const prologue = [...vars.reads].map((m) => `let ${PREFIX}${m} = ${NAMESPACE}.${m};`).join(" ");
      const writeBack = [
        ...[...vars.reads].filter((m) => vars.written.has(m)).map((m) => `${NAMESPACE}.${m} = ${PREFIX}${m};`),
        ...[...vars.mirrored].map((m) => `${NAMESPACE}.${m} = ${m};`),
      ].join(" ");
      // The wrapper encloses whatever else is inserted where the loop starts and ends.
      edits.insert(loop.getStart(sf), writeBack ? `{ ${prologue} try {\n` : `{ ${prologue}\n`, OUTERMOST_OPEN);
      edits.insert(loop.end, writeBack ? `\n} finally { ${writeBack} } }` : "\n}", OUTERMOST_CLOSE);
    }
  },
};
