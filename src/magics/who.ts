// %who and %whos: the notebook's own variables (preloaded names hidden). Tensors show
// shape, dtype and bytes.
import { defineMagic, parseMagicArgs } from "./registry";
import { userNames } from "../engine/namespace";
import { isTensor, tensorBytes, formatBytes } from "../display";

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (isTensor(v)) return "Tensor";
  if (typeof v === "function") return /^class\s/.test(Function.prototype.toString.call(v)) ? "class" : "function";
  if (typeof v === "object") return (v as object).constructor?.name ?? "Object";
  return typeof v;
}

function info(v: unknown): string {
  if (isTensor(v)) return v.isDisposed ? "(disposed)" : `${v.dtype} [${v.shape.join(", ")}], ${formatBytes(tensorBytes(v))}`;
  if (Array.isArray(v)) {
    const tensors = v.filter(isTensor);
    if (tensors.length === v.length && v.length > 0)
      return `${v.length} tensors: ${tensors.map((t) => `[${t.shape.join(", ")}]`).join(" ")}`.slice(0, 120);
    return `length ${v.length}`;
  }
  if (typeof v === "function") return `${(v as Function).name || "(anonymous)"}(${(v as Function).length} args)`;
  if (v && typeof v === "object" && typeof (v as any).numParams === "function")
    return `${(v as any).numParams().toLocaleString("en-US")} params`;
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v && typeof v === "object") return `${Object.keys(v).length} keys`;
  return String(v);
}

function filterByType(names: string[], ns: Record<string, unknown>, types: string[]): string[] {
  return types.length ? names.filter((n) => types.includes(typeName(ns[n]))) : names;
}

defineMagic({
  name: "who",
  kind: "line",
  usage: "%who [TYPE ...]",
  help: "List the notebook's variables, optionally only those of the given types (e.g. %who Tensor function).",
  run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {});
    const names = filterByType(userNames(ctx.namespace), ctx.namespace, positionals);
    ctx.print(names.length ? `${names.join("\t")}\n` : "Interactive namespace is empty.\n");
  },
});

defineMagic({
  name: "whos",
  kind: "line",
  usage: "%whos [TYPE ...]",
  help: "Like %who, with each variable's type and data/info (tensors: dtype, shape, bytes).",
  run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {});
    const names = filterByType(userNames(ctx.namespace), ctx.namespace, positionals);
    if (!names.length) {
      ctx.print("Interactive namespace is empty.\n");
      return;
    }
    const rows = names.map((n) => [n, typeName(ctx.namespace[n]), info(ctx.namespace[n])]);
    const head = ["Variable", "Type", "Data/Info"];
    const w = [0, 1].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `${r[0].padEnd(w[0])}   ${r[1].padEnd(w[1])}   ${r[2]}`;
    ctx.print(
      `${[line(head), "-".repeat(w[0] + w[1] + 6 + Math.max(9, ...rows.map((r) => r[2].length))), ...rows.map(line)].join("\n")}\n`,
    );
  },
});
