// What a cell left behind: the tensors it created that are still alive, split into those a
// variable holds (kept on purpose, named) and those nothing holds (leaked: never disposed).
import { formatBytes } from "../../display";
import { userNames } from "../../engine/namespace";
import { tensorHolders } from "./namespace-values";
import type { LiveTensor } from "./tensor-tracker";
import { shapeText } from "./format";

export interface CellLeftovers {
  kept: { variable: string; count: number; bytes: number }[];
  leaked: LiveTensor[];
}

export function cellLeftovers(live: Iterable<LiveTensor>, cell: number, ns: Record<string, unknown>): CellLeftovers {
  const created = [...live].filter((t) => t.cell === cell);
  if (!created.length) return { kept: [], leaked: [] };
  const holders = tensorHolders(ns, userNames(ns));
  const kept = new Map<string, { count: number; bytes: number }>();
  const leaked: LiveTensor[] = [];
  for (const t of created) {
    const names = holders.get(t.id);
    if (!names) {
      leaked.push(t);
      continue;
    }
    // Group by the variable itself ("model" for all of model's parameters).
    const variable = names[0].split(/[.[]/)[0];
    const entry = kept.get(variable) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += t.bytes;
    kept.set(variable, entry);
  }
  return { kept: [...kept].map(([variable, e]) => ({ variable, ...e })), leaked };
}

/** "3 × Add [32, 10] float32, 1 × tensor() [5] int32" (largest groups first). */
export function describeLeaked(leaked: LiveTensor[], max = 6): string {
  const groups = new Map<string, { n: number; bytes: number }>();
  for (const t of leaked) {
    const key = `${t.origin ?? "tensor()"} ${shapeText(t.shape)} ${t.dtype}`;
    const g = groups.get(key) ?? { n: 0, bytes: 0 };
    g.n++;
    g.bytes += t.bytes;
    groups.set(key, g);
  }
  const sorted = [...groups].sort((a, b) => b[1].bytes - a[1].bytes || b[1].n - a[1].n);
  const text = sorted
    .slice(0, max)
    .map(([k, g]) => `${g.n} \u00d7 ${k}`)
    .join(", ");
  return sorted.length > max ? `${text}, and ${sorted.length - max} more kinds` : text;
}

export function leakLines(cell: number, left: CellLeftovers): string[] {
  const lines: string[] = [];
  if (left.leaked.length) {
    const bytes = left.leaked.reduce((s, t) => s + t.bytes, 0);
    lines.push(
      `\u26a0 In[${cell}] left ${left.leaked.length} tensor${left.leaked.length === 1 ? "" : "s"} (${formatBytes(bytes)}) that no variable holds and nothing disposed (use tf.tidy or dispose()): ${describeLeaked(left.leaked)}`,
    );
  }
  if (left.kept.length) {
    lines.push(
      `In[${cell}] kept ${left.kept.map((k) => `${k.variable} (${k.count} tensor${k.count === 1 ? "" : "s"}, ${formatBytes(k.bytes)})`).join(", ")}`,
    );
  }
  return lines;
}
