// lab.runs.diff: which of train.py's options (opt.yaml) and hyper-parameters (hyp.yaml) differ
// between runs, as a table with one row per key and one column per run.
import * as aq from "arquero";
import type { YoloRun } from "./run-folder";

/**
 * opt.yaml keys that only say where and how a run was recorded, never what was trained. They
 * differ between any two runs (each has its own name and save_dir), so diff leaves them out
 * unless asked, and then lists them last.
 */
export const BOOKKEEPING_KEYS: readonly string[] = [
  "name",
  "project",
  "save_dir",
  "exist_ok",
  "local_rank",
  "entity",
  "upload_dataset",
  "bbox_interval",
  "artifact_alias",
];

export interface DiffOptions {
  /** Also list the keys that are the same in every run (default false). */
  all?: boolean;
  /** List the bookkeeping keys (BOOKKEEPING_KEYS) too, after the others (default false). */
  bookkeeping?: boolean;
}

/** A yaml value as a table cell: scalars as they are, lists and mappings as compact JSON. */
function cellValue(v: unknown): unknown {
  return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
}

function columnNames(runs: YoloRun[]): string[] {
  // Two runs of one name still get a column each, and none takes the key or source column's name.
  const seen = new Map<string, number>([
    ["key", 1],
    ["source", 1],
  ]);
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r.name : `${r.name}#${n}`;
  });
}

/**
 * Rows: `key`, `source` ("opt" or "hyp"), then the value in each run (an absent key is
 * undefined). Options come first, then hyper-parameters, each in the order the yaml files
 * list them. opt.hyp is not an option row: the same values are the hyp rows.
 */
export function diffRuns(runs: YoloRun[], opts: DiffOptions = {}): aq.ColumnTable {
  const cols = columnNames(runs);
  const rows: { key: string; source: "opt" | "hyp"; values: unknown[] }[] = [];
  const bookkeeping: typeof rows = [];
  for (const source of ["opt", "hyp"] as const) {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r[source])))];
    for (const key of keys) {
      if (source === "opt" && key === "hyp") continue;
      const isBookkeeping = source === "opt" && BOOKKEEPING_KEYS.includes(key);
      if (isBookkeeping && !opts.bookkeeping) continue;
      const values = runs.map((r) => (Object.hasOwn(r[source], key) ? cellValue(r[source][key]) : undefined));
      const same = values.every((v) => Object.is(v, values[0]) || v === values[0]);
      if (same && !opts.all) continue;
      (isBookkeeping ? bookkeeping : rows).push({ key, source, values });
    }
  }
  const all = [...rows, ...bookkeeping];
  return aq.table({
    key: all.map((r) => r.key),
    source: all.map((r) => r.source),
    ...Object.fromEntries(cols.map((c, i) => [c, all.map((r) => r.values[i])])),
  });
}
