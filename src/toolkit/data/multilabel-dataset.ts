import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type FloatImage, IMAGENET_MEAN, IMAGENET_STD, readImageOrThrow, resizeImage, toFloatImage } from "./image";
import { displayPath, namedError } from "./errors";
import { stackImages } from "./stack";

export interface MultiLabelListOptions {
  /** Folder the list's relative paths start from; default the list file's folder. */
  imageRoot?: string;
  delimiter?: string;
  /** Output side: images are resized to imgSize x imgSize. */
  imgSize?: number;
  normalize?: boolean;
  /**
   * PaddleClas's label_ratio: each target becomes [2, C], the labels then the per-class
   * positive ratio over the whole list (what MultiLabelLoss's weight_ratio expects).
   */
  labelRatio?: boolean;
}

export interface MultiLabelItem {
  image: FloatImage;
  /** [C] multi-hot, or [2, C] (labels, positive ratio) with labelRatio. */
  target: { data: Float32Array; shape: number[] };
  path: string;
}

export interface MultiLabelBatch {
  images: tf.Tensor4D;
  /** [B, C], or [B, 2, C] with labelRatio; owned by the caller. */
  targets: tf.Tensor;
  paths: string[];
}

/**
 * PaddleClas's MultiLabelDataset over a list file of `relative/path.jpg<TAB>0,1,0,...`.
 * The list is checked line by line when the dataset opens, and any bad line is an error
 * naming `list:line` (PaddleClas asserts on a missing image too; we add where and why).
 * A corrupt image is an error when loaded: PaddleClas would log it and silently return
 * a random other sample instead, which makes runs unrepeatable.
 */
export class MultiLabelListDataset {
  private constructor(
    readonly listFile: string,
    readonly imageRoot: string,
    private readonly samples: { file: string; labels: number[]; line: number }[],
    readonly numClasses: number,
    readonly positiveRatio: Float32Array | null,
    private readonly imgSize: number,
    private readonly normalize: boolean,
  ) {}

  static async open(listFile: string, opts: MultiLabelListOptions = {}): Promise<MultiLabelListDataset> {
    const { delimiter = "\t", imgSize = 64, normalize = false, labelRatio = false } = opts;
    const imageRoot = opts.imageRoot ?? path.dirname(listFile);
    const listName = path.basename(listFile);
    let text: string;
    try {
      text = await fs.readFile(listFile, "utf8");
    } catch {
      throw namedError("FileNotFoundError", `[Errno 2] No such file or directory: '${listFile}'`);
    }
    const samples: { file: string; labels: number[]; line: number }[] = [];
    let width = -1;
    let widthLine = 0;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].trim();
      if (!raw) continue;
      const at = `${listName}:${i + 1}`;
      const cut = raw.indexOf(delimiter);
      if (cut < 0) {
        throw namedError(
          "ValueError",
          `${at}: expected 'image_path${show(delimiter)}labels', found no ${show(delimiter)}. What to do: separate the path and the comma-separated labels with the delimiter.`,
        );
      }
      const rel = raw.slice(0, cut).trim();
      const fields = raw
        .slice(cut + delimiter.length)
        .trim()
        .split(",");
      const labels = fields.map((f, k) => {
        const s = f.trim();
        if (!/^[+-]?\d+$/.test(s)) {
          throw namedError(
            "ValueError",
            `${at}: label ${k + 1} is '${s}', not an integer. What to do: write labels as integers separated by commas, e.g. 0,1,0.`,
          );
        }
        return Number(s);
      });
      if (width < 0) {
        width = labels.length;
        widthLine = i + 1;
      } else if (labels.length !== width) {
        throw namedError(
          "ValueError",
          `${at}: expected ${width} labels (as on line ${widthLine}), got ${labels.length}. What to do: give every line one value per class.`,
        );
      }
      const file = path.resolve(imageRoot, rel);
      const exists = await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) {
        throw namedError(
          "FileNotFoundError",
          `${at}: image not found: ${rel} (looked in ${imageRoot}). What to do: fix the path, set imageRoot, or remove the line.`,
        );
      }
      samples.push({ file, labels, line: i + 1 });
    }
    if (samples.length === 0) throw namedError("ValueError", `${listName}: the list has no entries`);
    const ratio = labelRatio
      ? columnMeans(
          samples.map((s) => s.labels),
          width,
        )
      : null;
    return new MultiLabelListDataset(listFile, imageRoot, samples, width, ratio, imgSize, normalize);
  }

  get length(): number {
    return this.samples.length;
  }
  /** The list's labels, [N][C]. */
  get labels(): number[][] {
    return this.samples.map((s) => s.labels);
  }

  async get(i: number): Promise<MultiLabelItem> {
    if (!Number.isInteger(i) || i < 0 || i >= this.samples.length) {
      throw namedError("IndexError", `index ${i} is out of range for a dataset of ${this.samples.length} images`);
    }
    const s = this.samples[i];
    const where = ` (listed at ${path.basename(this.listFile)}:${s.line})`;
    const raw = await readImageOrThrow(s.file, displayPath(s.file, this.imageRoot), where);
    const img = await resizeImage(raw, this.imgSize, this.imgSize);
    const image = toFloatImage(img, this.normalize ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : undefined);
    const c = this.numClasses;
    const data = new Float32Array(this.positiveRatio ? 2 * c : c);
    data.set(s.labels);
    if (this.positiveRatio) data.set(this.positiveRatio, c);
    return { image, target: { data, shape: this.positiveRatio ? [2, c] : [c] }, path: s.file };
  }

  collate(items: MultiLabelItem[]): MultiLabelBatch {
    const per = items[0]?.target.data.length ?? 0;
    const data = new Float32Array(per * items.length);
    items.forEach((it, b) => data.set(it.target.data, b * per));
    const images = stackImages(items.map((it) => it.image));
    return { images, targets: tf.tensor(data, [items.length, ...items[0].target.shape]), paths: items.map((it) => it.path) };
  }
}

function columnMeans(rows: number[][], width: number): Float32Array {
  const out = new Float32Array(width);
  for (const r of rows) r.forEach((v, k) => (out[k] += v));
  return out.map((v) => v / rows.length);
}

function show(delimiter: string): string {
  return delimiter === "\t" ? "<TAB>" : `'${delimiter}'`;
}
