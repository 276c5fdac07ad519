// Where a notebook finds a file of its project (reference values under test/fixtures, a dataset
// next to the repository) whatever folder the kernel was started in: Jupyter starts it in the
// notebook's folder, `tfjs-lab run` in the caller's.
import * as fs from "node:fs";
import * as path from "node:path";

/** The path of `rel` in `from` or the nearest folder above it that holds it. */
export function findUp(rel: string, from: string = process.cwd()): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`findUp: ${rel} is in no folder from ${path.resolve(from)} up to the root`);
  }
}
