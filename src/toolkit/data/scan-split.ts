import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { RgbImage } from "./image";
import { listImageFiles } from "./list-images";
import { imageToLabelPath } from "./yolo-labels";
import { type ScanRecord, verifyImageLabel } from "./verify-image-label";
import { type CacheMiss, LABEL_CACHE_SUFFIX, datasetHash, labelCachePath, readLabelCache, writeLabelCache } from "./label-cache";
import { type ScanCounts, type ScanProgress, scanProgressText } from "./scan-progress";
import { reasonOf } from "./errors";
import { mapLimit } from "./concurrency";

export interface SplitScanOptions {
  /** `train: `, put before every line, as YOLOv5's prefix. */
  prefix: string;
  /** The dataset root: messages show paths relative to it; relative .txt list lines start from it. */
  root: string;
  /** Return the decoded images (a fresh scan only; a cache hit decodes nothing). */
  keepImages: boolean;
  /** Read and write the label cache. */
  labelCache: boolean;
  /** null: no progress line. */
  progress: ScanProgress | null;
}

/** What became of the label cache on this open. */
export interface LabelCacheInfo {
  /** The cache file (whether or not it was used or written). */
  file: string;
  /** The records came from the cache; no image was decoded. */
  hit: boolean;
  /** Why the cache was not used; absent on a hit, "off" when disabled. */
  miss?: CacheMiss | "off";
  /** The cache was written by this open. */
  written: boolean;
}

export interface SplitScan {
  /** Every image file listed, sorted; records[i] is files[i]'s. */
  files: string[];
  records: ScanRecord[];
  /** With keepImages on a fresh scan: each usable image, decoded. */
  images: (RgbImage | undefined)[];
  cache: LabelCacheInfo;
  /** Warnings in file order (prefixed), then any about the cache. */
  warnings: string[];
}

const VERIFY_CONCURRENCY = 8;
/** Least time between two progress updates while scanning. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Lists a split's images and verifies each with its label file, or takes the results from
 * the label cache when it is current (LoadImagesAndLabels' cache check and cache_labels).
 */
export async function scanSplit(sources: string[], opts: SplitScanOptions): Promise<SplitScan> {
  const { prefix, root, progress } = opts;
  const files = await listImageFiles(sources, prefix, root);
  const labelFiles = files.map(imageToLabelPath);
  const lastSource = sources[sources.length - 1];
  const lastIsFile = (await fs.stat(lastSource).catch(() => null))?.isFile() ?? false;
  const cacheFile = labelCachePath(lastSource, lastIsFile, labelFiles[0]);
  const cache: LabelCacheInfo = { file: cacheFile, hit: false, written: false, miss: "off" };
  const hash = opts.labelCache ? await datasetHash([...labelFiles, ...files], root) : "";

  if (opts.labelCache) {
    const read = await readLabelCache(cacheFile, hash, files.length);
    if ("records" in read) {
      progress?.(scanProgressText(prefix, cacheFile, countsOf(read.records), files.length, files.length), true);
      return {
        files,
        records: read.records,
        images: [],
        cache: { file: cacheFile, hit: true, written: false },
        warnings: warningsOf(read.records, prefix),
      };
    }
    cache.miss = read.miss;
  }

  const labelsDir = cacheFile.slice(0, -LABEL_CACHE_SUFFIX.length);
  const counts: ScanCounts = { images: 0, backgrounds: 0, corrupt: 0 };
  let done = 0;
  let lastShown = 0;
  progress?.(scanProgressText(prefix, labelsDir, counts, 0, files.length), false);
  const images: (RgbImage | undefined)[] = new Array(files.length);
  const records = await mapLimit(files, VERIFY_CONCURRENCY, async (file, i) => {
    const { record, image } = await verifyImageLabel(file, labelFiles[i], root);
    if (opts.keepImages) images[i] = image;
    count(counts, record);
    done++;
    const now = Date.now();
    if (progress && done < files.length && now - lastShown >= PROGRESS_INTERVAL_MS) {
      lastShown = now;
      progress(scanProgressText(prefix, labelsDir, counts, done, files.length), false);
    }
    return record;
  });
  progress?.(scanProgressText(prefix, labelsDir, counts, files.length, files.length), true);

  const warnings = warningsOf(records, prefix);
  if (opts.labelCache) {
    try {
      await writeLabelCache(cacheFile, hash, files, records);
      cache.written = true;
    } catch (e) {
      warnings.push(`${prefix}WARNING ⚠️ Cache directory ${path.dirname(cacheFile)} is not writeable: ${reasonOf(e)}`);
    }
  }
  return { files, records, images, cache, warnings };
}

function count(counts: ScanCounts, r: ScanRecord): void {
  if (r.status === "corrupt") counts.corrupt++;
  else {
    counts.images++;
    if (r.status !== "labelled") counts.backgrounds++;
  }
}

function countsOf(records: ScanRecord[]): ScanCounts {
  const counts: ScanCounts = { images: 0, backgrounds: 0, corrupt: 0 };
  for (const r of records) count(counts, r);
  return counts;
}

function warningsOf(records: ScanRecord[], prefix: string): string[] {
  return records.flatMap((r) => r.messages.map((m) => prefix + m));
}
