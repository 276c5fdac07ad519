// The session's training runs: what each run's live view recorded (per-iteration losses and
// learning rates, per-epoch losses and metrics), kept in memory for `%loss` and optionally
// saved as JSON in a runs folder so later sessions can compare against them.
// No TensorFlow.js here: the %loss magic loads this file when the kernel starts.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { writeFileAtomic } from "../train/atomic-write";

export type RunStatus = "running" | "done" | "aborted" | "failed";

/** Per-iteration series, columnar (compact JSON). Loss parts missing at a step are NaN. */
export interface IterationSeries {
  /** Iterations since the start of training (YOLOv5's `ni`). */
  ni: number[];
  /** Fractional epoch at the end of the step: epoch + (batch + 1) / batchesPerEpoch (ni + 1 when unknown). */
  x: number[];
  loss: number[];
  items: Record<string, number[]>;
  /** Learning rate of each parameter group, per group: lr[g][i]. */
  lr: number[][];
}

/** Per-epoch series, columnar. Metrics missing in an epoch are NaN. */
export interface EpochSeries {
  epoch: number[];
  trainLoss: number[];
  items: Record<string, number[]>;
  metrics: Record<string, number[]>;
  epochMs: number[];
}

export interface RunRecord {
  /** Unique across sessions (dedupes a run found both in memory and on disk). */
  id: string;
  name: string;
  config: Record<string, unknown>;
  startedAt: string;
  endedAt?: string;
  status: RunStatus;
  /** Planned epochs and batches per epoch, when known. */
  epochs?: number;
  batchesPerEpoch?: number;
  error?: string;
  iterations: IterationSeries;
  epochEnds: EpochSeries;
  /** Where this run was read from or saved to, when on disk. */
  file?: string;
}

const runs = new Map<string, RunRecord>();
let counter = 0;

function uniqueName(wanted: string | undefined): string {
  if (wanted) {
    if (!runs.has(wanted)) return wanted;
    let n = 2;
    while (runs.has(`${wanted}-${n}`)) n++;
    return `${wanted}-${n}`;
  }
  let name: string;
  do name = `run${++counter}`;
  while (runs.has(name));
  return name;
}

/** Starts a run record in the session registry; a taken name gets a `-2`, `-3`... suffix. */
export function startRun(
  init: { name?: string; config?: Record<string, unknown>; epochs?: number; batchesPerEpoch?: number } = {},
): RunRecord {
  const run: RunRecord = {
    id: randomUUID(),
    name: uniqueName(init.name),
    config: init.config ?? {},
    startedAt: new Date().toISOString(),
    status: "running",
    epochs: init.epochs,
    batchesPerEpoch: init.batchesPerEpoch,
    iterations: { ni: [], x: [], loss: [], items: {}, lr: [] },
    epochEnds: { epoch: [], trainLoss: [], items: {}, metrics: {}, epochMs: [] },
  };
  runs.set(run.name, run);
  return run;
}

/** Appends one value per named series; series that are new get NaN for earlier rows, absent ones NaN now. */
export function pushNamed(series: Record<string, number[]>, rowsBefore: number, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    const col = (series[k] ??= new Array(rowsBefore).fill(NaN));
    col.push(v);
  }
  for (const col of Object.values(series)) if (col.length === rowsBefore) col.push(NaN);
}

export function sessionRuns(): RunRecord[] {
  return [...runs.values()];
}
export function getRun(name: string): RunRecord | undefined {
  return runs.get(name);
}
/** Forgets the session's runs (files on disk stay). */
export function clearRuns(): void {
  runs.clear();
  counter = 0;
}

function fileNameFor(name: string): string {
  return `${name.replace(/[^\w.@-]+/g, "_")}.json`;
}

/** Writes the run as `<dir>/<name>.json` (atomically: a reader never sees half a file). Returns the path. */
export function saveRun(run: RunRecord, dir: string): string {
  const file = path.join(dir, fileNameFor(run.name));
  const { file: _where, ...data } = run;
  // JSON has no NaN: it becomes null, and loadRuns turns null back into NaN.
  writeFileAtomic(file, [Buffer.from(JSON.stringify(data))]);
  run.file = file;
  return file;
}

const nanFromNull = (col: unknown): number[] => (Array.isArray(col) ? col.map((v) => (typeof v === "number" ? v : NaN)) : []);
const namedCols = (o: unknown): Record<string, number[]> =>
  Object.fromEntries(Object.entries((o as Record<string, unknown>) ?? {}).map(([k, v]) => [k, nanFromNull(v)]));

/** Reads a saved run; throws when the file is not a run record. */
export function readRun(file: string): RunRecord {
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!raw || typeof raw !== "object" || typeof raw.name !== "string" || !raw.iterations || !raw.epochEnds) {
    throw new Error(`${file} is not a saved training run (no name, iterations and epochEnds)`);
  }
  const it = raw.iterations,
    ep = raw.epochEnds;
  return {
    ...raw,
    id: String(raw.id ?? file),
    config: raw.config ?? {},
    iterations: {
      ni: nanFromNull(it.ni),
      x: nanFromNull(it.x),
      loss: nanFromNull(it.loss),
      items: namedCols(it.items),
      lr: (it.lr ?? []).map(nanFromNull),
    },
    epochEnds: {
      epoch: nanFromNull(ep.epoch),
      trainLoss: nanFromNull(ep.trainLoss),
      items: namedCols(ep.items),
      metrics: namedCols(ep.metrics),
      epochMs: nanFromNull(ep.epochMs),
    },
    file,
  };
}

/** Every saved run in `dir` (*.json files that are run records; others are skipped), by name. */
export function loadRuns(dir: string): RunRecord[] {
  const out: RunRecord[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    try {
      out.push(readRun(path.join(dir, f)));
    } catch {
      /* not a run record */
    }
  }
  return out;
}
