// Opening a YOLO dataset twice: the first open verifies every image (full decode) and
// writes the label cache; the second finds the cache current and decodes nothing.
//   node dist/bench/data/dataset-open.js [images] [side]
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { YoloDataset, generateDetectionDataset } from "../../src/toolkit/data";

export interface DatasetOpenFigures {
  images: number;
  side: number;
  generateMs: number;
  /** Scan (decode and check every image and label) plus cache write. */
  firstOpenMs: number;
  /** Cache hit: stat every file, read the cache. */
  secondOpenMs: number;
  /** The same scan with the cache off: what the first open would cost without writing it. */
  uncachedOpenMs: number;
  cacheBytes: number;
}

export async function datasetOpenBench(images = 3000, side = 64): Promise<DatasetOpenFigures> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-bench-open-"));
  try {
    let t = performance.now();
    const { dataYaml } = await generateDetectionDataset(dir, { seed: 1, train: images, val: 0, imgSize: side, format: "jpg" });
    const generateMs = performance.now() - t;
    const quiet = { imgSize: side, progress: false as const, warn: () => undefined };

    t = performance.now();
    const uncached = await YoloDataset.open(dataYaml, { ...quiet, labelCache: false });
    const uncachedOpenMs = performance.now() - t;

    t = performance.now();
    const first = await YoloDataset.open(dataYaml, quiet);
    const firstOpenMs = performance.now() - t;
    if (!first.labelCache.written) throw new Error(`the cache was not written at ${first.labelCache.file}`);

    t = performance.now();
    const second = await YoloDataset.open(dataYaml, quiet);
    const secondOpenMs = performance.now() - t;
    if (!second.labelCache.hit) throw new Error(`the second open missed the cache (${second.labelCache.miss})`);
    if (second.length !== images || uncached.length !== images) throw new Error(`expected ${images} images, got ${second.length}`);

    const cacheBytes = (await fs.stat(first.labelCache.file)).size;
    return { images, side, generateMs, firstOpenMs, secondOpenMs, uncachedOpenMs, cacheBytes };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function formatDatasetOpenTable(f: DatasetOpenFigures): string {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  return [
    `| YoloDataset.open, ${f.images} JPEGs of ${f.side}x${f.side} | time | per image |`,
    "|---|---|---|",
    `| first open (scan + cache write) | ${ms(f.firstOpenMs)} | ${((1000 * f.firstOpenMs) / f.images).toFixed(0)} µs |`,
    `| second open (cache hit) | ${ms(f.secondOpenMs)} | ${((1000 * f.secondOpenMs) / f.images).toFixed(0)} µs |`,
    `| first / second | ${(f.firstOpenMs / f.secondOpenMs).toFixed(1)}x | |`,
    `| scan with the cache off (reference) | ${ms(f.uncachedOpenMs)} | |`,
    `| cache file | ${(f.cacheBytes / 1024).toFixed(0)} KiB | |`,
  ].join("\n");
}

if (require.main === module) {
  const [images, side] = process.argv.slice(2).map(Number);
  datasetOpenBench(images || undefined, side || undefined).then(
    (f) => process.stdout.write(`\n## Opening a dataset (label cache)\n\n${formatDatasetOpenTable(f)}\n`),
    (e) => {
      process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
