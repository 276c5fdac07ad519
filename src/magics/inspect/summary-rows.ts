// The rows of a torchinfo-style summary and the totals torchinfo computes from them
// (torchinfo's LayerInfo / ModelStatistics rules, restated for our modules).

export interface SummaryRow {
  className: string;
  /** Dotted path of the module in the model ("model.2.cv1"); "" for the model. */
  path: string;
  depth: number;
  /** 1-based counter per depth over the whole list ("Conv: 2-1"); set by finishRows. */
  depthIndex: number;
  /** Identity of the layer/module, to recognise a module run twice. */
  key: object;
  isLeaf: boolean;
  executed: boolean;
  /** Shape of the (first tensor of the) output of the last call; null when not run. */
  outputShape: number[] | null;
  outputBytes: number;
  /** Parameters of this module and everything below it. */
  numParams: number;
  trainableParams: number;
  paramBytes: number;
  /** Multiply-adds of this call (leaf layers only). */
  macs: number;
  /** A module with parameters listed a second time (shared weights). */
  isRecursive: boolean;
  /** Every row below this one (torchinfo's `children`: all descendants in the list). */
  descendants: SummaryRow[];
}

/** Sets depth indexes and descendants, once every row is in its final place. */
export function finishRows(rows: SummaryRow[]): void {
  const counters = new Map<number, number>();
  rows.forEach((row, i) => {
    const n = (counters.get(row.depth) ?? 0) + 1;
    counters.set(row.depth, n);
    row.depthIndex = n;
    let end = i + 1;
    while (end < rows.length && rows[end].depth > row.depth) end++;
    row.descendants = rows.slice(i + 1, end);
  });
}

export function leftoverParams(row: SummaryRow, trainable = false): number {
  const own = trainable ? row.trainableParams : row.numParams;
  return (
    own -
    row.descendants
      .filter((c) => !c.isRecursive)
      .reduce((s, c) => s + (c.isLeaf ? (trainable ? c.trainableParams : c.numParams) : leftoverParams(c, trainable)), 0)
  );
}

export interface SummaryTotals {
  totalParams: number;
  trainableParams: number;
  totalMacs: number;
  /** Bytes of the input tensor(s), 0 when the model was not run. */
  inputBytes: number;
  /** Leaf outputs of layers with parameters, x2 for gradients. */
  forwardBackwardBytes: number;
  paramBytes: number;
  ran: boolean;
}

export function computeTotals(rows: SummaryRow[], inputBytes: number, ran: boolean): SummaryTotals {
  const t: SummaryTotals = { totalParams: 0, trainableParams: 0, totalMacs: 0, inputBytes, forwardBackwardBytes: 0, paramBytes: 0, ran };
  for (const row of rows) {
    if (row.isLeaf) {
      t.totalMacs += row.macs;
      if (row.isRecursive) continue;
      t.totalParams += row.numParams;
      t.paramBytes += row.paramBytes;
      t.trainableParams += row.trainableParams;
      if (row.numParams > 0) t.forwardBackwardBytes += row.outputBytes * 2;
    } else {
      if (row.isRecursive) continue;
      t.totalParams += leftoverParams(row);
      t.trainableParams += leftoverParams(row, true);
    }
  }
  return t;
}

/** The "Param #" cell as torchinfo writes it. */
export function paramsCell(row: SummaryRow, reachedMaxDepth: boolean): string {
  if (row.isRecursive) return "(recursive)";
  if (row.numParams > 0) {
    if (reachedMaxDepth || row.isLeaf) {
      const s = row.numParams.toLocaleString("en-US");
      return row.trainableParams ? s : `(${s})`;
    }
    const left = leftoverParams(row);
    if (left > 0) return left.toLocaleString("en-US");
  }
  return "--";
}

export function layerName(row: SummaryRow): string {
  return row.depth > 0 ? `${row.className}: ${row.depth}-${row.depthIndex}` : row.className;
}
