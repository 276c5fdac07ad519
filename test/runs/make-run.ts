// Builds YOLOv5-style run folders in a temp dir for the runs tests: results.csv written the
// way train.py writes it ("%20s," header, "%20.5g," values), opt.yaml, hyp.yaml, weights/.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const DETECT_COLUMNS = [
  "epoch",
  "train/box_loss",
  "train/obj_loss",
  "train/cls_loss",
  "metrics/precision",
  "metrics/recall",
  "metrics/mAP_0.5",
  "metrics/mAP_0.5:0.95",
  "val/box_loss",
  "val/obj_loss",
  "val/cls_loss",
  "x/lr0",
  "x/lr1",
  "x/lr2",
];

const pad = (s: string) => s.padStart(20);
const g5 = (v: number) => (Number.isNaN(v) ? "nan" : String(+v.toPrecision(5)));

/** results.csv text as train.py writes it: one header line, then one line per epoch row. */
export function resultsCsvText(columns: string[], rows: number[][]): string {
  const line = (cells: string[]) => `${cells.map(pad).join(",")}\n`;
  return line(columns) + rows.map((r) => line(r.map(g5))).join("");
}

/** Rows for a detection run: losses falling and mAP rising with the epoch, scaled by `k`. */
export function detectRows(epochs: number, k = 1): number[][] {
  return Array.from({ length: epochs }, (_, e) => [
    e,
    (0.1 * k) / (e + 1),
    (0.02 * k) / (e + 1),
    (0.04 * k) / (e + 1),
    0.5,
    0.5,
    Math.min(1, 0.1 * (e + 1) * k),
    Math.min(1, 0.05 * (e + 1) * k),
    0.1,
    0.02,
    0.04,
    0.01,
    0.001,
    0.001,
  ]);
}

export function tempDir(prefix = "tfjs-lab-runs-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface RunFiles {
  "results.csv"?: string;
  "opt.yaml"?: string;
  "hyp.yaml"?: string;
  /** Files under weights/ (name → contents). */
  weights?: Record<string, string>;
  /** Other files (name → contents). */
  other?: Record<string, string>;
}

/** Writes a run folder `root/rel` with the files given; returns its absolute path. */
export function writeRun(root: string, rel: string, files: RunFiles): string {
  const dir = path.join(root, rel);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ["results.csv", "opt.yaml", "hyp.yaml"] as const)
    if (files[f] !== undefined) fs.writeFileSync(path.join(dir, f), files[f]!);
  if (files.weights) {
    fs.mkdirSync(path.join(dir, "weights"), { recursive: true });
    for (const [n, c] of Object.entries(files.weights)) fs.writeFileSync(path.join(dir, "weights", n), c);
  }
  for (const [n, c] of Object.entries(files.other ?? {})) fs.writeFileSync(path.join(dir, n), c);
  return dir;
}

/** A small opt.yaml with v7.0's keys (and its hyp mapping), overridable. */
export function optYaml(over: Record<string, string> = {}, name = "exp"): string {
  const base: Record<string, string> = {
    weights: "yolov5n.pt",
    cfg: "''",
    data: "data.yaml",
    epochs: "3",
    batch_size: "16",
    imgsz: "160",
    optimizer: "SGD",
    device: "cpu",
    project: "runs/train",
    name,
    save_dir: `runs/train/${name}`,
    seed: "0",
    freeze: "\n- 0",
    ...over,
  };
  return `${Object.entries(base)
    .map(([k, v]) => `${k}:${v.startsWith("\n") ? v : ` ${v}`}`)
    .join("\n")}\n`;
}

export function hypYaml(over: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    lr0: "0.01",
    lrf: "0.01",
    momentum: "0.937",
    box: "0.05",
    cls: "0.5",
    obj: "1.0",
    mosaic: "1.0",
    ...over,
  };
  return `${Object.entries(base)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n")}\n`;
}
