// What the engine does to a cell's compiled JavaScript before it runs: parsed once, each
// transform records edits against that one tree, the edits are applied together.
import type { CellTransform } from "./compiled-cell";
import { parseCompiledCell } from "./compiled-cell";
import { CellEdits } from "./edits";
import { insertInterruptChecks } from "./interrupt-checks";
import { hoistLoopLocals } from "./loop-locals";
import { defineThroughNamespace } from "./namespace-defines";
import { expandNamespaceShorthands } from "./namespace-shorthands";

export type { CellTransform, CompiledCell } from "./compiled-cell";
export { CellEdits } from "./edits";
export { DEFINE } from "./namespace-defines";
export { FLAG, RESUME, TICK } from "./interrupt-checks";
export { insertInterruptChecks, hoistLoopLocals, expandNamespaceShorthands, defineThroughNamespace };

/** Every transform a cell gets, in no particular order: their edits never overlap. */
export const CELL_TRANSFORMS: readonly CellTransform[] = [
  expandNamespaceShorthands,
  hoistLoopLocals,
  insertInterruptChecks,
  defineThroughNamespace,
];

export interface TransformedCell {
  js: string;
  /** The cell awaits outside its functions: it must run as an async function. */
  awaitsAtTopLevel: boolean;
}

/** `namespaceNames`: the names the shared namespace holds before the cell runs. */
export function transformCell(
  js: string,
  namespaceNames: ReadonlySet<string>,
  transforms: readonly CellTransform[] = CELL_TRANSFORMS,
): TransformedCell {
  const cell = parseCompiledCell(js, namespaceNames);
  const edits = new CellEdits();
  for (const t of transforms) t.collect(cell, edits.forTransform(t.name));
  return { js: edits.apply(js), awaitsAtTopLevel: cell.awaitsAtTopLevel };
}
