// The compiled JavaScript of one cell, parsed once, and what every transform is given.
import * as ts from "@tslab/typescript-for-tslab";
import type { CellEdits } from "./edits";
import { waitsOutsideFunctions } from "./predicates";

export interface CompiledCell {
  /** The JavaScript tslab produced. */
  readonly text: string;
  readonly tree: ts.SourceFile;
  /** Names the shared namespace holds before this cell runs (earlier cells', preloaded). */
  readonly namespaceNames: ReadonlySet<string>;
  /** Whether the cell's own code (outside the functions it defines) awaits: it must run as an async function. */
  readonly awaitsAtTopLevel: boolean;
}

/** A transform looks at the tree and records its edits; it never changes the text itself. */
export interface CellTransform {
  readonly name: string;
  collect(cell: CompiledCell, edits: CellEdits): void;
}

export function parseCompiledCell(js: string, namespaceNames: ReadonlySet<string>): CompiledCell {
  const tree = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  return { text: js, tree, namespaceNames, awaitsAtTopLevel: waitsOutsideFunctions(tree) };
}
