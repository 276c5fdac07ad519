// %shapes: every tensor, model and array/object of tensors in the notebook's variables, as
// a table (name, shape, dtype, bytes, backend), with tensors whose leading (batch)
// dimension disagrees with the majority flagged. This is where a [64, C] target next to
// [32, C] logits shows up at a glance.
import { defineMagic, parseMagicArgs, UsageError } from "./registry";
import { userNames } from "../engine/namespace";
import { formatBytes, tensorBytes } from "../display";
import { isLayersModel, isModule, tensorsIn } from "./inspect/namespace-values";
import { backendOf } from "../tfjs/internals";
import { shapeText, thousands } from "./inspect/format";
import { showTable } from "./inspect/show-table";

interface ShapeRow {
  name: string;
  type: string;
  shape: string;
  dtype: string;
  bytes: number;
  backend: string;
  /** Leading dimension of a tensor of rank >= 1 (not of models). */
  lead?: number;
}

function rowsFor(name: string, value: unknown): ShapeRow[] {
  if (isModule(value)) {
    const params = value.namedParameters(),
      buffers = value.namedBuffers();
    const all = [...params, ...buffers];
    const bytes = all.reduce((s, [, t]) => s + tensorBytes(t), 0);
    return [
      {
        name,
        type: `${value.constructor.name} (Module)`,
        shape: `${thousands(value.numParams())} params`,
        dtype: [...new Set(all.map(([, t]) => t.dtype))].join(",") || "--",
        bytes,
        backend: all.length ? backendOf(all[0][1]) : "--",
      },
    ];
  }
  if (isLayersModel(value)) {
    const weights = value.layers.flatMap((l) => l.weights.map((w) => w.read()));
    return [
      {
        name,
        type: `${value.getClassName()} (LayersModel)`,
        shape: `${thousands(value.countParams())} params`,
        dtype: [...new Set(weights.map((t) => t.dtype))].join(",") || "--",
        bytes: weights.reduce((s, t) => s + tensorBytes(t), 0),
        backend: weights.length ? backendOf(weights[0]) : "--",
      },
    ];
  }
  return tensorsIn(value, name).map(({ path, tensor }) => {
    const disposed = tensor.isDisposed;
    const isVariable = typeof (tensor as { assign?: unknown }).assign === "function";
    return {
      name: path,
      type: isVariable ? "Variable" : "Tensor",
      shape: shapeText(tensor.shape),
      dtype: tensor.dtype,
      bytes: disposed ? 0 : tensorBytes(tensor),
      backend: disposed ? "(disposed)" : backendOf(tensor),
      lead: tensor.rank >= 1 && !disposed && !isVariable ? tensor.shape[0] : undefined,
    };
  });
}

/** The most common leading dimension (ties: the one seen first), when at least two differ. */
export function majorityLead(leads: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const d of leads) counts.set(d, (counts.get(d) ?? 0) + 1);
  if (counts.size < 2) return undefined;
  let best: number | undefined,
    bestCount = 0;
  for (const [d, c] of counts)
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  return best;
}

export const shapesMagic = defineMagic({
  name: "shapes",
  kind: "line",
  usage: "%shapes [NAME ...]",
  help: `Table of the tensors, models and arrays/objects of tensors held by the notebook's variables:
name, type, shape, dtype, bytes and backend. With names, only those variables.
The "batch?" column flags tensors whose leading (batch) dimension disagrees with most
others (for example logits [32, 10] next to targets [64, 10]).`,
  run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {});
    const all = userNames(ctx.namespace);
    for (const n of positionals) {
      if (!all.includes(n)) throw new UsageError(`%shapes: no variable named '${n}'`, this.usage);
    }
    const names = positionals.length ? positionals : all;
    const rows = names.flatMap((n) => rowsFor(n, ctx.namespace[n]));
    if (!rows.length) {
      ctx.print(positionals.length ? `No tensors or models in ${positionals.join(", ")}.\n` : "No tensors or models in the namespace.\n");
      return;
    }
    const majority = majorityLead(rows.flatMap((r) => (r.lead === undefined ? [] : [r.lead])));
    const flagged = new Set<number>();
    const batchCol = rows.map((r, i) => {
      if (r.lead === undefined || majority === undefined) return "";
      if (r.lead === majority) return "ok";
      flagged.add(i);
      return `\u26a0 ${r.lead} \u2260 ${majority}`;
    });
    const aq = require("arquero") as typeof import("arquero");
    const table = aq.table({
      name: rows.map((r) => r.name),
      type: rows.map((r) => r.type),
      shape: rows.map((r) => r.shape),
      dtype: rows.map((r) => r.dtype),
      bytes: rows.map((r) => formatBytes(r.bytes)),
      backend: rows.map((r) => r.backend),
      "batch?": batchCol,
    });
    const odd = [...flagged].map((i) => `${rows[i].name} ${rows[i].shape}`);
    const note = odd.length ? `\u26a0 leading dimension differs from the majority (${majority}): ${odd.join(", ")}` : undefined;
    showTable(ctx, table, { flagged, note });
  },
});
