// The line a dataset shows while it verifies its images, as YOLOv5's tqdm bar:
// `val: Scanning /data/labels/val... 32 images, 0 backgrounds, 0 corrupt: 100% 32/32`.
import { currentCellOutput, display } from "../../display";
import { ProgressLine } from "../viz/progress-line";

/** Receives the scan's progress line; `done` is true for the last call of a scan. */
export type ScanProgress = (line: string, done: boolean) => void;

export interface ScanCounts {
  /** Usable images (labelled and backgrounds). */
  images: number;
  /** Usable images without labels (no label file, or an empty one). */
  backgrounds: number;
  corrupt: number;
}

/**
 * The progress text. `what` is the labels folder while scanning, the cache file on a cache
 * hit (as YOLOv5 shows them). YOLOv5's "images" counts label files found; ours counts the
 * images the dataset keeps, which is what a reader of the line expects.
 */
export function scanProgressText(prefix: string, what: string, counts: ScanCounts, done: number, total: number): string {
  const percent = total ? Math.floor((100 * done) / total) : 100;
  return `${prefix}Scanning ${what}... ${counts.images} images, ${counts.backgrounds} backgrounds, ${counts.corrupt} corrupt: ${percent}% ${done}/${total}`;
}

let scans = 0;

/**
 * Where a scan's line goes when the caller gives no hook: in a notebook cell, one display
 * updated in place; on a terminal, one stderr line rewritten with `\r`; elsewhere (logs,
 * pipes) only the final line, so a log gets one line per scan.
 */
export function defaultScanProgress(): ScanProgress {
  if (currentCellOutput()) {
    const displayId = `tfjs-lab-scan-${++scans}`;
    let shown = false;
    return (line) => {
      try {
        display(new ProgressLine(line), { displayId, update: shown });
        shown = true;
      } catch {
        // A closed front end must not stop a dataset from opening.
      }
    };
  }
  if (process.stderr.isTTY) return (line, done) => void process.stderr.write(`\r${line}${done ? "\n" : ""}`);
  return (line, done) => {
    if (done) process.stderr.write(`${line}\n`);
  };
}
