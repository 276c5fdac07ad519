// torchinfo's text block: a tree of layers (to max depth) with output shape and Param #,
// then the totals and sizes in MB (1e6 bytes), in torchinfo's layout and number formats.
import { layerName, paramsCell, type SummaryRow, type SummaryTotals } from "./summary-rows";
import { shapeText } from "./format";

const COL_WIDTH = 25;

function treePrefix(depth: number): string {
  if (depth === 0) return "";
  if (depth === 1) return "\u251c\u2500";
  return `${"\u2502    ".repeat(depth - 1)}\u2514\u2500`;
}

/** The visible rows: depth <= maxDepth, with what the text and the table show for each. */
export function visibleRows(rows: SummaryRow[], maxDepth: number): { row: SummaryRow; label: string; shape: string; params: string }[] {
  return rows
    .filter((r) => r.depth <= maxDepth)
    .map((row) => ({
      row,
      label: treePrefix(row.depth) + layerName(row),
      shape: row.outputShape?.length ? shapeText(row.outputShape) : "--",
      params: paramsCell(row, row.depth === maxDepth),
    }));
}

/** "G", 8.24: torchinfo's to_readable. */
export function readableMacs(n: number): [string, number] {
  if (n >= 1e12) return ["T", n / 1e12];
  if (n >= 1e9) return ["G", n / 1e9];
  return ["M", n / 1e6];
}

export function summaryText(rows: SummaryRow[], totals: SummaryTotals, maxDepth: number): string {
  // Name column: 40, or the longest name (with its indent) rounded up to a multiple of 5.
  let nameWidth = 40;
  const longest = Math.max(0, ...rows.map((r) => layerName(r).length + r.depth * 5 + 1));
  if (longest >= nameWidth) nameWidth = Math.ceil(longest / 5) * 5;
  const divider = "=".repeat(nameWidth + 2 * COL_WIDTH);
  const line = (name: string, shape: string, params: string) =>
    `${name.padEnd(nameWidth)} ${shape.padEnd(COL_WIDTH)} ${params.padEnd(COL_WIDTH)} `.trimEnd();
  const out = [divider, line("Layer (type:depth-idx)", "Output Shape", "Param #"), divider];
  for (const v of visibleRows(rows, maxDepth)) out.push(line(v.label, v.shape, v.params));
  out.push(divider);
  out.push(`Total params: ${totals.totalParams.toLocaleString("en-US")}`);
  out.push(`Trainable params: ${totals.trainableParams.toLocaleString("en-US")}`);
  out.push(`Non-trainable params: ${(totals.totalParams - totals.trainableParams).toLocaleString("en-US")}`);
  if (totals.ran) {
    const [unit, macs] = readableMacs(totals.totalMacs);
    const mb = (b: number) => (b / 1e6).toFixed(2);
    out.push(`Total mult-adds (${unit}): ${macs.toFixed(2)}`, divider);
    out.push(`Input size (MB): ${mb(totals.inputBytes)}`);
    out.push(`Forward/backward pass size (MB): ${mb(totals.forwardBackwardBytes)}`);
    out.push(`Params size (MB): ${mb(totals.paramBytes)}`);
    out.push(`Estimated Total Size (MB): ${mb(totals.inputBytes + totals.forwardBackwardBytes + totals.paramBytes)}`);
  }
  out.push(divider);
  return out.join("\n");
}
