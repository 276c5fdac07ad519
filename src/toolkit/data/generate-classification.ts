import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Prng, mixSeed } from "./prng";
import { type ImageFormat, writeImageFile } from "./image";
import { classAppearance, classNames, drawShape, noisyBackground, placeBoxes } from "./shapes";

export interface ClassificationDatasetOptions {
  seed?: number;
  imgSize?: number;
  nc?: number;
  /** Images per class in each split. */
  trainPerClass?: number;
  valPerClass?: number;
  format?: ImageFormat;
}

export interface ClassificationDatasetInfo {
  root: string;
  /** Class folder names in sorted order, i.e. in label order as ImageFolder assigns them. */
  classes: string[];
  images: { train: number; val: number };
}

/**
 * Writes an ImageFolder classification dataset: root/{train,val}/<class>/img_000.png, one
 * shape of the class per image, at a random place and size (a quarter to four fifths of
 * the image). Same seed, byte-identical files.
 */
export async function generateClassificationDataset(
  root: string,
  opts: ClassificationDatasetOptions = {},
): Promise<ClassificationDatasetInfo> {
  const { seed = 0, imgSize = 64, nc = 3, trainPerClass = 32, valPerClass = 8, format = "png" } = opts;
  const names = classNames(nc);
  const splits: [string, number][] = [
    ["train", trainPerClass],
    ["val", valPerClass],
  ];
  for (const [split, perClass] of splits) {
    const writes: Promise<void>[] = [];
    for (let k = 0; k < nc; k++) {
      const look = classAppearance(k, nc);
      const dir = path.join(root, split, look.name);
      await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const rng = new Prng(mixSeed(seed, split === "train" ? 11 : 12, k, i));
        const img = noisyBackground(imgSize, imgSize, rng);
        const [box] = placeBoxes(imgSize, imgSize, 1, [{ min: 0.25, max: 0.8, weight: 1 }], rng);
        drawShape(img, look.shape, box, look.rgb, rng);
        writes.push(writeImageFile(path.join(dir, `img_${String(i).padStart(3, "0")}.${format}`), img, format));
      }
    }
    await Promise.all(writes);
  }
  return { root, classes: [...names].sort(), images: { train: trainPerClass * nc, val: valPerClass * nc } };
}
