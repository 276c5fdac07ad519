// %summary MODEL [inputShape]: a torchinfo-like summary of a toolkit Module or a tfjs
// LayersModel: layers with type and depth index, output shapes, parameter counts, and
// torchinfo's totals (params, mult-adds, input / forward-backward / params / total MB).
import { defineMagic, parseMagicArgs, UsageError } from "./registry";
import { isLayersModel, isModule } from "./inspect/namespace-values";
import { moduleSummaryRows } from "./inspect/module-summary";
import { layersModelSummaryRows } from "./inspect/layers-model-summary";
import { computeTotals, type SummaryRow } from "./inspect/summary-rows";
import { summaryText, visibleRows } from "./inspect/summary-text";
import { showTable } from "./inspect/show-table";

/** "[1,640,640,3]", "1,640,640,3" or "(1, 640, 640, 3)" -> [1, 640, 640, 3]. */
export function parseInputShape(text: string, usage: string): number[] {
  const inner = text
    .trim()
    .replace(/^[[(]\s*/, "")
    .replace(/\s*[\])]$/, "");
  const parts = inner.split(/\s*,\s*|\s+/).filter(Boolean);
  const dims = parts.map(Number);
  if (!parts.length || dims.some((d) => !Number.isInteger(d) || d <= 0) || /[[\]()]/.test(inner)) {
    throw new UsageError(`%summary: input shape must be positive integers like [1,640,640,3]; got '${text.trim()}'`, usage);
  }
  return dims;
}

/** A variable, or a property path below one (`trainer.model`). */
function lookup(ns: Record<string, unknown>, path: string): unknown {
  const [head, ...rest] = path.split(".");
  if (!(head in ns)) return undefined;
  return rest.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), ns[head]);
}

export const summaryMagic = defineMagic({
  name: "summary",
  kind: "line",
  usage: "%summary MODEL [INPUT_SHAPE] [--depth N]",
  help: `A torchinfo-style summary of a toolkit model (Module) or a tfjs LayersModel.
INPUT_SHAPE (NHWC, e.g. [1,640,640,3]) runs one forward pass of zeros in eval mode to
record every layer's output shape and the mult-adds; without it only parameters are listed.
--depth N: deepest level of the layer tree shown (default 3, as torchinfo).
Totals as torchinfo: Total / Trainable / Non-trainable params (BatchNorm running statistics
are buffers, not parameters), Total mult-adds, Input size, Forward/backward pass size
(outputs of layers with parameters, x2 for gradients), Params size, Estimated Total Size (MB).`,
  run(args, ctx) {
    const { values, positionals } = parseMagicArgs(this, args, { depth: { type: "string" } });
    if (!positionals.length) throw new UsageError("%summary: name the model to summarise", this.usage);
    const [name, ...shapeParts] = positionals;
    const depth = values.depth === undefined ? 3 : Number(values.depth);
    if (!Number.isInteger(depth) || depth < 0)
      throw new UsageError(`%summary: --depth must be a whole number >= 0; got '${values.depth}'`, this.usage);
    const model = lookup(ctx.namespace, name);
    if (model === undefined) throw new UsageError(`%summary: no variable named '${name}'`, this.usage);
    const inputShape = shapeParts.length ? parseInputShape(shapeParts.join(" "), this.usage) : undefined;

    let rows: SummaryRow[], inputBytes: number, ran: boolean;
    if (isModule(model)) {
      ({ rows, inputBytes } = moduleSummaryRows(model, inputShape));
      ran = !!inputShape;
    } else if (isLayersModel(model)) {
      ({ rows, inputBytes } = layersModelSummaryRows(model, inputShape));
      ran = true;
    } else {
      throw new UsageError(`%summary: '${name}' is not a model (a toolkit Module or a tfjs LayersModel)`, this.usage);
    }
    const totals = computeTotals(rows, inputBytes, ran);
    const aq = require("arquero") as typeof import("arquero");
    const shown = visibleRows(rows, depth);
    const table = aq.table({
      "Layer (type:depth-idx)": shown.map((v) => v.label),
      module: shown.map((v) => v.row.path || "(model)"),
      "Output Shape": shown.map((v) => v.shape),
      "Param #": shown.map((v) => v.params),
      "Mult-Adds": shown.map((v) => (v.row.isLeaf && v.row.macs > 0 ? v.row.macs.toLocaleString("en-US") : "--")),
    });
    showTable(ctx, table, { limit: 500 });
    ctx.print(`${summaryText(rows, totals, depth)}\n`);
  },
});
