import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  type FloatImage,
  IMAGENET_MEAN,
  IMAGENET_STD,
  IMAGE_EXTENSIONS,
  centerCropResize,
  isImageFile,
  readImageOrThrow,
  toFloatImage,
} from "./image";
import { displayPath, namedError } from "./errors";
import { walkFiles } from "./walk-files";
import { stackImages } from "./stack";

export interface ImageFolderOptions {
  /** Output side: images are centre-cropped to a square and resized (YOLOv5-cls's CenterCrop). */
  imgSize?: number;
  /** Normalise with the ImageNet mean and std as YOLOv5-cls does; default false (values in 0..1). */
  normalize?: boolean;
}

export interface ClassificationItem {
  image: FloatImage;
  label: number;
  path: string;
}

export interface ClassificationBatch {
  /** [B, H, W, 3], owned by the caller. */
  images: tf.Tensor4D;
  /** [B] int32 class ids, owned by the caller. */
  labels: tf.Tensor1D;
  paths: string[];
}

/**
 * torchvision's ImageFolder (which YOLOv5-cls builds on): class names are the sorted
 * sub-folder names of root, labels their index; files are found recursively, sorted.
 * An unreadable image is an error when it is loaded, as with PIL (no skipping here).
 */
export class ImageFolderDataset {
  private constructor(
    readonly root: string,
    readonly classes: string[],
    private readonly samples: [string, number][],
    private readonly imgSize: number,
    private readonly normalize: boolean,
  ) {}

  static async open(root: string, opts: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
    const { imgSize = 64, normalize = false } = opts;
    const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => {
      throw namedError("FileNotFoundError", `[Errno 2] No such file or directory: '${root}'`);
    });
    const classes = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    if (classes.length === 0) throw namedError("FileNotFoundError", `Couldn't find any class folder in ${root}.`);
    const samples: [string, number][] = [];
    const empty: string[] = [];
    for (let k = 0; k < classes.length; k++) {
      const files = (await walkFiles(path.join(root, classes[k]))).filter(isImageFile).sort();
      if (files.length === 0) empty.push(classes[k]);
      for (const f of files) samples.push([f, k]);
    }
    if (empty.length) {
      throw namedError(
        "FileNotFoundError",
        `Found no valid file for the classes ${empty.sort().join(", ")}. Supported extensions are: ${IMAGE_EXTENSIONS.join(", ")}`,
      );
    }
    return new ImageFolderDataset(root, classes, samples, imgSize, normalize);
  }

  get length(): number {
    return this.samples.length;
  }
  /** Class ids of all items, in order (no decoding). */
  get targets(): number[] {
    return this.samples.map(([, k]) => k);
  }

  async get(i: number): Promise<ClassificationItem> {
    if (!Number.isInteger(i) || i < 0 || i >= this.samples.length) {
      throw namedError("IndexError", `index ${i} is out of range for a dataset of ${this.samples.length} images`);
    }
    const [file, label] = this.samples[i];
    const img = await centerCropResize(await readImageOrThrow(file, displayPath(file, this.root)), this.imgSize);
    const image = toFloatImage(img, this.normalize ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : undefined);
    return { image, label, path: file };
  }

  collate(items: ClassificationItem[]): ClassificationBatch {
    const images = stackImages(items.map((it) => it.image));
    return {
      images,
      labels: tf.tensor1d(
        items.map((it) => it.label),
        "int32",
      ),
      paths: items.map((it) => it.path),
    };
  }
}
