// One YOLOv5 run folder (runs/train/exp*/ as train.py leaves it) read into a YoloRun:
// results.csv as a table, opt.yaml and hyp.yaml as plain objects, the checkpoints' paths.
// Each file is read on its own, so a broken one is a warning and the rest still loads.
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { JUPYTER_DISPLAY, escapeHtml } from "../../display";
import { naturalCompare } from "./natural-sort";
import { readResultsCsv, type ResultsTable } from "./results-csv";
import { readRunYaml } from "./run-yaml";
import { curveKey, shortColumnName } from "./curve-names";

const WEIGHT_FILE = /\.(pt|safetensors)$/;

/** Checkpoints in weights/: best first, then last, then the others (epoch10.pt...) in natural order. */
export function listWeights(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(dir, "weights"));
  } catch {
    return [];
  }
  const rank = (n: string) => ({ best: 0, last: 1 })[n.replace(WEIGHT_FILE, "")] ?? 2;
  // A dangling link or a folder named like a checkpoint is not a checkpoint (and must not throw).
  const isFile = (n: string) => {
    try {
      return fs.statSync(path.join(dir, "weights", n)).isFile();
    } catch {
      return false;
    }
  };
  return names
    .filter((n) => WEIGHT_FILE.test(n) && isFile(n))
    .sort((a, b) => rank(a) - rank(b) || naturalCompare(a, b))
    .map((n) => path.join(dir, "weights", n));
}

/** The best value of a validation metric and the epoch it came in. */
export interface BestMetric {
  column: string;
  value: number;
  epoch: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

export class YoloRun {
  constructor(
    /** The folder's name (with parent folders when two loaded runs share one). */
    public name: string,
    /** Absolute path of the run folder. */
    readonly dir: string,
    /** results.csv: one row per finished epoch, column names trimmed, values numbers. */
    readonly results: ResultsTable,
    /** opt.yaml: train.py's arguments. */
    readonly opt: Record<string, unknown>,
    /** hyp.yaml, or opt.hyp when there is no hyp.yaml. */
    readonly hyp: Record<string, unknown>,
    /** Absolute paths of weights/*.pt and *.safetensors, best first, then last, then the others. */
    readonly weights: string[],
    readonly warnings: string[],
  ) {}

  /** Epochs with a row in results.csv. */
  get epochs(): number {
    return this.results.numRows();
  }

  /** The epochs train.py was asked for (opt.epochs), when known. */
  get plannedEpochs(): number | undefined {
    return typeof this.opt.epochs === "number" ? this.opt.epochs : undefined;
  }

  /** A results.csv column as numbers, or undefined when the run has no such column. */
  column(name: string): number[] | undefined {
    return this.results.columnNames().includes(name) ? (this.results.array(name) as ArrayLike<number> as number[]).slice() : undefined;
  }

  /** Epoch numbers of the rows (0-based as YOLOv5 writes them; the row index when no epoch column). */
  epochNumbers(): number[] {
    return this.column("epoch") ?? Array.from({ length: this.epochs }, (_, i) => i);
  }

  /** Best value of each mAP / accuracy column (higher is better for all of them). */
  bestMetrics(): BestMetric[] {
    const epochs = this.epochNumbers();
    const out: BestMetric[] = [];
    for (const column of this.results.columnNames()) {
      if (!/^(map|top\d)/.test(curveKey(column))) continue;
      const ys = this.column(column)!;
      let at = -1;
      ys.forEach((y, i) => {
        if (Number.isFinite(y) && (at < 0 || y > ys[at])) at = i;
      });
      if (at >= 0) out.push({ column, value: ys[at], epoch: epochs[at] });
    }
    return out;
  }

  private summaryLines(): [string, string][] {
    const planned = this.plannedEpochs;
    const best = this.bestMetrics().map((b) => `${shortColumnName(b.column)} ${+b.value.toPrecision(4)} (epoch ${b.epoch})`);
    const weights = this.weights.map((w) => {
      let mib = NaN;
      try {
        mib = fs.statSync(w).size / 2 ** 20;
      } catch {
        /* removed since the load */
      }
      return `${path.basename(w)}${Number.isFinite(mib) ? ` (${mib.toFixed(1)} MiB)` : ""}`;
    });
    const rows: [string, string][] = [
      ["dir", this.dir],
      ["epochs", planned !== undefined ? `${this.epochs}/${planned}` : String(this.epochs)],
      ["best", best.join(", ") || "(no mAP or accuracy column)"],
      ["weights", weights.join(", ") || "(none)"],
    ];
    if (this.warnings.length) rows.push(["warnings", this.warnings.join("\n")]);
    return rows;
  }

  /** Several lines for a notebook cell: name, folder, epochs, best metrics, weights, warnings. */
  summary(): string {
    const lines = this.summaryLines().map(([k, v]) => `  ${k.padEnd(8)}  ${v.replace(/\n/g, `\n${" ".repeat(12)}`)}`);
    return [`YOLOv5 run ${this.name}`, ...lines].join("\n");
  }

  [JUPYTER_DISPLAY](): Record<string, string> {
    const rows = this.summaryLines()
      .map(
        ([k, v]) => `<tr><th style="text-align:left">${k}</th><td style="text-align:left;white-space:pre-wrap">${escapeHtml(v)}</td></tr>`,
      )
      .join("");
    return {
      "text/plain": this.summary(),
      "text/html": `<div class="tfjs-lab-yolo-run"><b>YOLOv5 run ${escapeHtml(this.name)}</b><table>${rows}</table></div>`,
    };
  }

  // console.log(run) and arrays of runs in a cell: one line each instead of the table's internals.
  [inspect.custom](): string {
    const best = this.bestMetrics()[0];
    const planned = this.plannedEpochs;
    const parts = [
      `${this.epochs}${planned !== undefined ? `/${planned}` : ""} epochs`,
      best ? `best ${shortColumnName(best.column)} ${+best.value.toPrecision(4)} (epoch ${best.epoch})` : undefined,
      this.weights.length ? this.weights.map((w) => path.basename(w)).join(" ") : "no weights",
      this.warnings.length ? `${this.warnings.length} warning${this.warnings.length > 1 ? "s" : ""}` : undefined,
    ];
    return `YoloRun ${this.name} (${parts.filter(Boolean).join(", ")}) ${this.dir}`;
  }
}

/** Reads one run folder; never throws for a broken file inside it (see YoloRun.warnings). */
export function readRunFolder(dir: string, name = path.basename(dir)): YoloRun {
  const abs = path.resolve(dir);
  const warnings: string[] = [];
  const has = (f: string) => fs.existsSync(path.join(abs, f));
  if (!["results.csv", "opt.yaml", "hyp.yaml", "weights"].some(has)) {
    warnings.push(`${abs}: no results.csv, opt.yaml, hyp.yaml or weights/: is this a YOLOv5 run folder?`);
  }
  const results = readResultsCsv(path.join(abs, "results.csv"));
  warnings.push(...results.warnings);

  const optFile = path.join(abs, "opt.yaml");
  const opt = readRunYaml(optFile);
  warnings.push(...opt.warnings);
  if (!opt.value) warnings.push(`${optFile}: missing`);

  const hypFile = path.join(abs, "hyp.yaml");
  const hypRead = readRunYaml(hypFile);
  warnings.push(...hypRead.warnings);
  let hyp = hypRead.value;
  if (!hyp) {
    // Without hyp.yaml, YOLOv5 v7.0's opt.yaml still holds the hyper-parameters as opt.hyp.
    const fromOpt = opt.value?.hyp;
    hyp = isObject(fromOpt) ? fromOpt : {};
    if (!isObject(fromOpt)) warnings.push(`${hypFile}: missing${typeof fromOpt === "string" ? ` (opt.hyp names ${fromOpt})` : ""}`);
  }
  return new YoloRun(name, abs, results.table, opt.value ?? {}, hyp, listWeights(abs), warnings);
}
