// The label cache: what verifying a split's images and labels found, saved beside its
// labels so the next open skips decoding every image (YOLOv5's `labels/val.cache`).
//
// Location: `<labels folder>.tfjs-lab.cache` (e.g. `labels/val.tfjs-lab.cache`), or
// `<list>.tfjs-lab.cache` beside a split given as a .txt list, as YOLOv5 places its `.cache`.
// Our own name, so a YOLOv5 `.cache` (a numpy pickle) beside it is never read, executed or
// overwritten, and YOLOv5 keeps using its own.
//
// Format: JSON, {format, version, hash, images, records}. `hash` covers every image and
// label path with its size (YOLOv5's get_hash hashes the paths and their total size) and
// also its modification time, so an edit that keeps a label file's size is seen too; and the
// dataset root, which the stored messages' paths are relative to. The cache is used only
// when format, version and hash all match and its records are well formed; otherwise the
// split is scanned again and the cache rewritten.
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { mapLimit } from "./concurrency";
import type { ScanRecord } from "./verify-image-label";

/** Raise when what a record means changes (parsing rules, fields), so old caches are rebuilt. */
export const LABEL_CACHE_VERSION = 1;
export const LABEL_CACHE_SUFFIX = ".tfjs-lab.cache";
const FORMAT = "tfjs-lab label cache";

interface LabelCacheDoc {
  format: string;
  version: number;
  hash: string;
  /** Image paths relative to the cache's folder, in record order (for people reading the file). */
  images: string[];
  records: ScanRecord[];
}

export type CacheMiss = "absent" | "unreadable" | "version" | "changed";
export type CacheRead = { records: ScanRecord[] } | { miss: CacheMiss };

/**
 * Where a split's cache goes. As YOLOv5: beside the split's (last) .txt list when it is one,
 * else beside the folder holding the first image's label file.
 */
export function labelCachePath(lastSource: string, lastSourceIsFile: boolean, firstLabelFile: string): string {
  const base = lastSourceIsFile ? lastSource : path.dirname(firstLabelFile);
  const ext = path.extname(base);
  return (lastSourceIsFile && ext ? base.slice(0, -ext.length) : base) + LABEL_CACHE_SUFFIX;
}

/** A hash of every file's path, size and modification time (a missing file counts as such), and the root. */
export async function datasetHash(files: string[], root: string): Promise<string> {
  const stats = await mapLimit(files, 64, (f) => fs.stat(f).catch(() => null));
  const h = createHash("md5");
  h.update(`root\t${root}\n`);
  files.forEach((f, i) => {
    const s = stats[i];
    // Whole milliseconds: what copy tools and utimes() keep of a file's time.
    // Rounded, not truncated: a time set back through utimes reads as 122.9999... ms for 123.
    h.update(s ? `${f}\t${s.size}\t${Math.round(s.mtimeMs)}\n` : `${f}\t-\n`);
  });
  return h.digest("hex");
}

/** The cached records, if the cache at `file` is ours, current, and for exactly these files. */
export async function readLabelCache(file: string, hash: string, imageCount: number): Promise<CacheRead> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    return { miss: "absent" };
  }
  let doc: LabelCacheDoc;
  try {
    doc = JSON.parse(text);
  } catch {
    return { miss: "unreadable" };
  }
  if (!doc || typeof doc !== "object" || doc.format !== FORMAT) return { miss: "unreadable" };
  if (doc.version !== LABEL_CACHE_VERSION) return { miss: "version" };
  if (doc.hash !== hash) return { miss: "changed" };
  if (!Array.isArray(doc.records) || doc.records.length !== imageCount || !doc.records.every(isRecord)) return { miss: "unreadable" };
  return { records: doc.records };
}

/**
 * Writes the cache through a temporary file and a rename, so a reader (another process
 * opening the same dataset) never sees half a file. Throws the fs error when the folder is
 * not writable; the caller warns and carries on.
 */
export async function writeLabelCache(file: string, hash: string, imageFiles: string[], records: ScanRecord[]): Promise<void> {
  const dir = path.dirname(file);
  const doc: LabelCacheDoc = {
    format: FORMAT,
    version: LABEL_CACHE_VERSION,
    hash,
    images: imageFiles.map((f) => path.relative(dir, f).split(path.sep).join("/")),
    records,
  };
  const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await fs.writeFile(tmp, JSON.stringify(doc));
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

const STATUSES = new Set(["labelled", "empty", "missing", "corrupt"]);

function isRecord(r: unknown): r is ScanRecord {
  const x = r as ScanRecord;
  return (
    !!x &&
    STATUSES.has(x.status) &&
    Array.isArray(x.size) &&
    x.size.length === 2 &&
    x.size.every(Number.isFinite) &&
    Array.isArray(x.rows) &&
    x.rows.every((row) => Array.isArray(row) && row.length === 5 && row.every(Number.isFinite)) &&
    Array.isArray(x.lines) &&
    x.lines.length === x.rows.length &&
    Array.isArray(x.messages) &&
    x.messages.every((m) => typeof m === "string")
  );
}
