// lab.runs.load: the YOLOv5 run folders that patterns name, each read into a YoloRun.
import * as path from "node:path";
import { matchFolders } from "./glob";
import { readRunFolder, type YoloRun } from "./run-folder";

export interface LoadRunsOptions {
  /** Folder relative patterns start from (default process.cwd()). */
  cwd?: string;
  /**
   * Called with each warning, prefixed by the run's name (default console.warn, which a cell
   * shows); null keeps them quiet. Every run's warnings are also in its `warnings`.
   */
  onWarning?: ((message: string) => void) | null;
}

/**
 * Names for the folders: their own name, or, when two folders share it (runs/a/exp and
 * runs/b/exp), as many parent folders as it takes to tell them apart.
 */
export function distinctNames(dirs: string[]): string[] {
  const parts = dirs.map((d) => d.split(path.sep).filter(Boolean));
  const depth = dirs.map(() => 1);
  const nameAt = (i: number) => parts[i].slice(-depth[i]).join("/") || dirs[i];
  for (let changed = true; changed; ) {
    changed = false;
    const names = dirs.map((_, i) => nameAt(i));
    names.forEach((n, i) => {
      if (names.indexOf(n) !== names.lastIndexOf(n) && depth[i] < parts[i].length) {
        depth[i]++;
        changed = true;
      }
    });
  }
  return dirs.map((_, i) => nameAt(i));
}

/**
 * One YoloRun per run folder the pattern(s) match (`runs/train/exp*`; `*`, `?` and `[...]` in
 * any segment; a plain folder path works too). Each pattern's folders come in natural order
 * (exp2 before exp10), patterns in the order given; a folder matched twice is read once.
 * A pattern that matches nothing throws (NoMatchError); a broken file in a run only warns.
 */
export function loadRuns(pattern: string | string[], opts: LoadRunsOptions = {}): YoloRun[] {
  const cwd = opts.cwd ?? process.cwd();
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  if (!patterns.length) throw new TypeError("lab.runs.load: give a folder or a pattern such as runs/train/exp*");
  const dirs = [...new Set(patterns.flatMap((p) => matchFolders(p, cwd)))];
  const names = distinctNames(dirs);
  const runs = dirs.map((d, i) => readRunFolder(d, names[i]));
  const warn = opts.onWarning === undefined ? (m: string) => console.warn(m) : opts.onWarning;
  if (warn) for (const r of runs) for (const w of r.warnings) warn(`${r.name}: ${w}`);
  return runs;
}
