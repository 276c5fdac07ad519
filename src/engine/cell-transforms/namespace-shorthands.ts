// `{ x }` where x is an earlier cell's variable becomes `{ x: exports.x }`: tslab rewrites
// every other reference to such a variable as `exports.x` but leaves shorthand properties
// alone, which then throw ReferenceError.
import * as ts from "@tslab/typescript-for-tslab";
import type { CellTransform } from "./compiled-cell";
import { NAMESPACE, namespaceShorthand } from "./predicates";

export const expandNamespaceShorthands: CellTransform = {
  name: "namespace shorthands",
  collect(cell, edits) {
    const visit = (n: ts.Node): void => {
      const name = namespaceShorthand(n, cell.namespaceNames);
      if (name !== undefined) edits.replace(n.getStart(cell.tree), n.end, `${name}: ${NAMESPACE}.${name}`);
      ts.forEachChild(n, visit);
    };
    visit(cell.tree);
  },
};
