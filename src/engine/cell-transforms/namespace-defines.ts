// tslab's CommonJS output defines imports on `exports` with getters
// (`Object.defineProperty(exports, "x", { get })`); the engine calls its own define
// instead (namespace.ts: defineInNamespace), which stores the value so a later cell may
// reassign the name.
import * as ts from "@tslab/typescript-for-tslab";
import type { CellTransform } from "./compiled-cell";
import { NAMESPACE } from "./predicates";

/** The name the cell's function receives the engine's define under. */
export const DEFINE = "__lab_define";

function isDefinePropertyOnNamespace(n: ts.Node): n is ts.CallExpression {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
  const callee = n.expression;
  const target = n.arguments[0];
  return (
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === "Object" &&
    callee.name.text === "defineProperty" &&
    !!target &&
    ts.isIdentifier(target) &&
    target.text === NAMESPACE
  );
}

export const defineThroughNamespace: CellTransform = {
  name: "namespace defines",
  collect(cell, edits) {
    const visit = (n: ts.Node): void => {
      if (isDefinePropertyOnNamespace(n)) edits.replace(n.expression.getStart(cell.tree), n.expression.end, DEFINE);
      ts.forEachChild(n, visit);
    };
    visit(cell.tree);
  },
};
