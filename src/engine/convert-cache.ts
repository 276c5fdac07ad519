// Results of converting a cell that was converted before with the same declarations, so that
// re-running a cell (or a client's polling cell) skips tslab's converter: its program
// up-to-date check walks every declaration file of TensorFlow.js, and its ES module to
// CommonJS step builds a throw-away program and type checker (most of a trivial cell's time).
//
// A conversion depends on the previous cells' declarations, the cell's text and the files
// the TypeScript program reads. The first two are the key; the files can change only through
// the file and directory watchers that tslab's watch program relies on, and every watcher
// notification empties every cache (markProjectFilesChanged). So a cached result is exactly
// what the converter would return, as fresh as tslab itself is.
import type { ConvertResult } from "tslab/dist/converter";

let filesGeneration = 0;

/** Called for every file or directory watcher notification the TypeScript program gets. */
export function markProjectFilesChanged(): void {
  filesGeneration++;
}

export class ConvertCache {
  private readonly entries = new Map<string, ConvertResult>();
  private generation = filesGeneration;

  constructor(private readonly capacity = 32) {}

  get(decl: string, src: string): ConvertResult | undefined {
    this.dropIfFilesChanged();
    const key = cacheKey(decl, src);
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last, so eviction drops the oldest.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /**
   * Keeps only results that are a pure function of the key: clean conversions without side
   * outputs (a local .ts module is emitted once per change, and executing its output
   * again would load a second instance of it). Type errors are always recomputed.
   */
  set(decl: string, src: string, result: ConvertResult): void {
    this.dropIfFilesChanged();
    if (result.diagnostics.length > 0 || result.sideOutputs) return;
    this.entries.set(cacheKey(decl, src), result);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }

  private dropIfFilesChanged(): void {
    if (this.generation === filesGeneration) return;
    this.entries.clear();
    this.generation = filesGeneration;
  }
}

function cacheKey(decl: string, src: string): string {
  // The declarations never contain NUL, so the split is unambiguous.
  return `${decl}\u0000${src}`;
}
