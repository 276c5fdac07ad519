// What the Lab tests expect of a notebook file, read from the file itself: each cell's tags
// and how many plotly figures its committed outputs hold (the notebooks are executed and
// committed with their outputs, so each figure the kernel makes is listed there).
import * as fs from "node:fs";
import { figureOfBundle } from "../../src/display";

export interface ExpectedCell {
  index: number;
  cellType: string;
  tags: string[];
  /** Figures (plotly outputs) the committed file holds for this cell. */
  figures: number;
  /** For each of those figures, each trace's number of points (x values) in its final state. */
  figurePoints: number[][];
  source: string;
}

// A figure updated in place keeps its figure only in its HTML (src/display/reprs/plotly.ts).
const plotly = (cell: any) => (cell.outputs ?? []).map((o: any) => o.data && figureOfBundle(o.data)).filter(Boolean);

export function expectedCells(file: string): ExpectedCell[] {
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  return nb.cells.map((c: any, index: number) => ({
    index,
    cellType: c.cell_type,
    tags: c.metadata?.tags ?? [],
    figures: plotly(c).length,
    figurePoints: plotly(c).map((f: any) => (f.data ?? []).map((t: any) => (Array.isArray(t.x) ? t.x.length : 0))),
    source: Array.isArray(c.source) ? c.source.join("") : String(c.source ?? ""),
  }));
}
