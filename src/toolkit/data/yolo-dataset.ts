import * as tf from "@tensorflow/tfjs";
import { type FloatImage, type RgbImage, readImageOrThrow, resizeImage, toFloatImage } from "./image";
import { letterbox } from "./letterbox";
import { checkImgSize } from "../nn";
import { type DataYaml, readDataYaml } from "./data-yaml";
import { imageToLabelPath } from "./yolo-labels";
import { type LabelCacheInfo, scanSplit } from "./scan-split";
import { type ScanProgress, defaultScanProgress } from "./scan-progress";
import { type Warn, defaultWarn, displayPath, namedError } from "./errors";
import { stackImages } from "./stack";

export interface YoloDatasetOptions {
  split?: "train" | "val" | "test";
  /** Square training size; rounded up to a multiple of stride with YOLOv5's warning. */
  imgSize?: number;
  stride?: number;
  /** Allow enlarging images smaller than imgSize (YOLOv5 does so only when augmenting). */
  scaleup?: boolean;
  /** Keep decoded images in memory (YOLOv5's --cache ram). */
  cache?: boolean;
  /**
   * Rectangular batches (YOLOv5's val loader: rect=True, pad=0.5): items are ordered by
   * aspect ratio and each run of `batchSize` items shares the smallest stride-multiple
   * shape that fits it. Use a DataLoader with the same batchSize and no shuffle.
   */
  rect?: boolean;
  batchSize?: number;
  pad?: number;
  warn?: Warn;
  /**
   * The scan's progress line (`train: Scanning .../labels/train... 32 images, ...`). Default:
   * updated in place in a notebook cell or on a terminal, else printed once at the end;
   * false for none.
   */
  progress?: ScanProgress | false;
  /**
   * Keep what the scan found in `<labels folder>.tfjs-lab.cache` (see label-cache.ts), so the
   * next open of an unchanged split decodes no image. Default true, as YOLOv5; false
   * neither reads nor writes it.
   */
  labelCache?: boolean;
}

export interface YoloItem {
  /** Letterboxed image, [imgSize, imgSize, 3], 0..1. */
  image: FloatImage;
  /** Rows of (class, cx, cy, w, h), normalised to the letterboxed image; shape [n, 5]. */
  labels: { data: Float32Array; shape: [number, 5] };
  path: string;
  /** As YOLOv5's `shapes`: original (h0, w0), the resize ratio (h / h0, w / w0) and the letterbox pad (dw, dh). */
  shapes: { original: [number, number]; ratio: [number, number]; pad: [number, number] };
}

export interface YoloBatch {
  /** [B, H, W, 3]; the caller owns (and disposes) it. */
  images: tf.Tensor4D;
  /** [nt, 6]: image index in batch, class, x, y, w, h (YOLOv5's collate_fn). The caller owns it. */
  targets: tf.Tensor2D;
  paths: string[];
  shapes: YoloItem["shapes"][];
}

export interface YoloScanStats {
  found: number;
  /** Images without a label file (backgrounds). */
  missing: number;
  /** Images with an empty label file (backgrounds). */
  empty: number;
  /** Images ignored as corrupt. */
  corrupt: number;
}

interface Entry {
  file: string;
  rows: number[][];
  /** 1-based line of each row in its label file, for messages. */
  lines: number[];
  /** [h, w], upright. */
  size: [number, number];
  cached?: RgbImage;
}

/**
 * A YOLO detection split read from data.yaml, as YOLOv5's LoadImagesAndLabels without
 * augmentation: every image is verified once when the dataset opens, then each item is
 * resized so its long side is imgSize and letterboxed to imgSize x imgSize with grey 114.
 *
 * Opening: data.yaml's paths are resolved as data-yaml.ts describes, the split's images
 * listed (list-images.ts), and each image verified with its label file
 * (verify-image-label.ts, yolo-labels.ts), or the results taken from the label cache when
 * nothing changed (label-cache.ts). Images are read upright: their EXIF orientation is
 * applied, as cv2.imread does for YOLOv5, and sizes and labels refer to the upright image.
 *
 * Bad images, following verify_image_label (label-file cases are in yolo-labels.ts):
 *  - missing (listed in a .txt split), undecodable, or under 10 px: the image is ignored
 *    with `WARNING ⚠️ {im_file}: ignoring corrupt image/label: {reason}`, as in YOLOv5.
 *  - a truncated JPEG (its end marker missing): YOLOv5 re-saves it and warns "corrupt JPEG
 *    restored and saved"; we decode what is there and warn, but never rewrite user files.
 *  - every image unusable: an AssertionError (YOLOv5 would fail later, with less to go on).
 *  - a file that disappears or breaks after the scan: FileNotFoundError or
 *    UnidentifiedImageError from get(), naming it.
 * Warnings go through `warn` (the kernel shows them in the cell), in file order, after the
 * progress line; a cache hit repeats the warnings of the scan it saved, as YOLOv5 does.
 */
export class YoloDataset {
  readonly imgSize: number;
  readonly stats: YoloScanStats;

  private constructor(
    readonly data: DataYaml,
    readonly split: string,
    private readonly entries: Entry[],
    imgSize: number,
    private readonly scaleup: boolean,
    stats: YoloScanStats,
    /** With rect: the [h, w] each item is letterboxed to. */
    private readonly itemShapes: [number, number][] | null,
    /** Whether the label cache was used or written by this open, and where it is. */
    readonly labelCache: LabelCacheInfo,
    /** Keep images in memory once read (the `cache` option). */
    private readonly keepImages: boolean,
  ) {
    this.imgSize = imgSize;
    this.stats = stats;
  }

  static async open(dataYaml: string, opts: YoloDatasetOptions = {}): Promise<YoloDataset> {
    const { split = "train", stride = 32, scaleup = false, cache = false, warn = defaultWarn } = opts;
    const checked = checkImgSize(opts.imgSize ?? 640, stride);
    if (checked.warning) warn(checked.warning);
    const imgSize = checked.size;
    const data = await readDataYaml(dataYaml);
    const sources = data[split];
    if (sources.length === 0) throw namedError("AssertionError", `data.yaml '${split}:' field missing ❌ (${dataYaml})`);
    const prefix = `${split}: `;
    const scan = await scanSplit(sources, {
      prefix,
      root: data.root,
      keepImages: cache,
      labelCache: opts.labelCache ?? true,
      progress: opts.progress === false ? null : (opts.progress ?? defaultScanProgress()),
    });
    for (const m of scan.warnings) warn(m);

    const stats: YoloScanStats = { found: 0, missing: 0, empty: 0, corrupt: 0 };
    const entries: Entry[] = [];
    scan.records.forEach((r, i) => {
      if (r.status === "corrupt") {
        stats.corrupt++;
        return;
      }
      if (r.status === "labelled") stats.found++;
      else stats[r.status]++;
      entries.push({ file: scan.files[i], rows: r.rows, lines: r.lines, size: r.size, cached: scan.images[i] });
    });
    if (stats.found === 0) warn(`${prefix}WARNING ⚠️ No labels found in ${displayPath(sources[0], data.root)}.`);
    if (entries.length === 0) {
      throw namedError(
        "AssertionError",
        `${prefix}No usable images in ${sources.join(", ")}: all ${scan.files.length} were corrupt (see the warnings above)`,
      );
    }
    checkClassIds(entries, data, dataYaml);
    const shapes = opts.rect ? rectBatchShapes(entries, opts.batchSize ?? 32, imgSize, stride, opts.pad ?? 0) : null;
    return new YoloDataset(data, split, entries, imgSize, scaleup, stats, shapes, scan.cache, cache);
  }

  get length(): number {
    return this.entries.length;
  }
  get names(): string[] {
    return this.data.names;
  }
  get nc(): number {
    return this.data.nc;
  }
  /** Image files in item order. */
  get files(): string[] {
    return this.entries.map((e) => e.file);
  }
  /** The labels of item i as read from disk (class, cx, cy, w, h normalised to the original image). */
  rawLabels(i: number): number[][] {
    return this.entries[i].rows.map((r) => r.slice(0, 5));
  }

  async get(i: number): Promise<YoloItem> {
    if (!Number.isInteger(i) || i < 0 || i >= this.entries.length) {
      throw namedError("IndexError", `index ${i} is out of range for a dataset of ${this.entries.length} images`);
    }
    const entry = this.entries[i];
    let img = entry.cached ?? (await readImageOrThrow(entry.file, displayPath(entry.file, this.data.root)));
    // After a label-cache hit nothing was decoded at open: memory caching starts with the first read.
    if (this.keepImages) entry.cached = img;
    const [h0, w0] = [img.height, img.width];
    // load_image: long side to imgSize, aspect kept (math.ceil, as YOLOv5 v7.0); without
    // augmentation YOLOv5 shrinks with INTER_AREA and enlarges with INTER_LINEAR.
    const r = this.imgSize / Math.max(h0, w0);
    if (r !== 1) img = await resizeImage(img, Math.ceil(w0 * r), Math.ceil(h0 * r), r > 1 ? "linear" : "area");
    const shape = this.itemShapes ? this.itemShapes[i] : this.imgSize;
    const { image, ratio, pad } = await letterbox(img, shape, { auto: false, scaleup: this.scaleup });
    const labels = letterboxLabels(entry.rows, img.width * ratio[0], img.height * ratio[1], pad, image.width, image.height);
    return {
      image: toFloatImage(image),
      labels: { data: labels, shape: [entry.rows.length, 5] },
      path: entry.file,
      shapes: { original: [h0, w0], ratio: [img.height / h0, img.width / w0], pad },
    };
  }

  /** YOLOv5's collate_fn: stacked images and [nt, 6] targets with the image's index in the batch first. */
  collate(items: YoloItem[]): YoloBatch {
    return collateDetection(items);
  }
}

export function collateDetection(items: YoloItem[]): YoloBatch {
  const nt = items.reduce((s, it) => s + it.labels.shape[0], 0);
  const targets = new Float32Array(nt * 6);
  let row = 0;
  items.forEach((it, b) => {
    for (let k = 0; k < it.labels.shape[0]; k++, row++) {
      targets[row * 6] = b;
      targets.set(it.labels.data.subarray(k * 5, k * 5 + 5), row * 6 + 1);
    }
  });
  const images = stackImages(items.map((it) => it.image));
  return { images, targets: tf.tensor2d(targets, [nt, 6]), paths: items.map((it) => it.path), shapes: items.map((it) => it.shapes) };
}

/**
 * Moves normalised labels onto the letterboxed image: xywhn2xyxy with the scaled size and
 * pad, then xyxy2xywhn against the output size with clip=True, eps=1e-3 (YOLOv5's order).
 */
function letterboxLabels(rows: number[][], w: number, h: number, pad: [number, number], outW: number, outH: number): Float32Array {
  const out = new Float32Array(rows.length * 5);
  const eps = 1e-3;
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  rows.forEach((r, k) => {
    const x1 = clip(w * (r[1] - r[3] / 2) + pad[0], outW - eps);
    const y1 = clip(h * (r[2] - r[4] / 2) + pad[1], outH - eps);
    const x2 = clip(w * (r[1] + r[3] / 2) + pad[0], outW - eps);
    const y2 = clip(h * (r[2] + r[4] / 2) + pad[1], outH - eps);
    out.set([r[0], (x1 + x2) / 2 / outW, (y1 + y2) / 2 / outH, (x2 - x1) / outW, (y2 - y1) / outH], k * 5);
  });
  return out;
}

/**
 * YOLOv5's rectangular training shapes: sorts entries (in place) by aspect ratio h / w and
 * gives each batch ceil(shape * imgSize / stride + pad) * stride, where shape is [maxi, 1]
 * for a batch of wide images, [1, 1 / mini] for tall ones, else [1, 1].
 */
function rectBatchShapes(entries: Entry[], batchSize: number, imgSize: number, stride: number, pad: number): [number, number][] {
  const aspect = (e: Entry) => e.size[0] / e.size[1];
  entries.sort((a, b) => aspect(a) - aspect(b));
  const out: [number, number][] = [];
  for (let start = 0; start < entries.length; start += batchSize) {
    const ars = entries.slice(start, start + batchSize).map(aspect);
    const mini = Math.min(...ars);
    const maxi = Math.max(...ars);
    const rel: [number, number] = maxi < 1 ? [maxi, 1] : mini > 1 ? [1, 1 / mini] : [1, 1];
    const shape = rel.map((v) => Math.ceil((v * imgSize) / stride + pad) * stride) as [number, number];
    for (let k = 0; k < ars.length; k++) out.push(shape);
  }
  return out;
}

/** train.py's check: `Label class {mlc} exceeds nc={nc} in {data}. Possible class labels are 0-{nc - 1}`, plus where. */
function checkClassIds(entries: Entry[], data: DataYaml, dataYaml: string): void {
  let worst = null as { cls: number; file: string; line: number } | null;
  for (const e of entries) {
    e.rows.forEach((r, k) => {
      if (r[0] >= data.nc && (!worst || r[0] > worst.cls)) worst = { cls: r[0], file: imageToLabelPath(e.file), line: e.lines[k] };
    });
  }
  if (worst) {
    throw namedError(
      "AssertionError",
      `Label class ${worst.cls} exceeds nc=${data.nc} in ${dataYaml}. Possible class labels are 0-${data.nc - 1}\n` +
        `  at ${displayPath(worst.file, data.root)}:${worst.line}. What to do: fix the class ids in the label files, ` +
        `or set nc and names in data.yaml to cover every class.`,
    );
  }
}
