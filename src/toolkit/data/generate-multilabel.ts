import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Prng, mixSeed } from "./prng";
import { type ImageFormat, writeImageFile } from "./image";
import { classAppearance, classNames, drawShape, noisyBackground, placeBoxes } from "./shapes";

export interface MultiLabelDatasetOptions {
  seed?: number;
  imgSize?: number;
  /** Number of labels per line (NUS-WIDE-SCENE has 33). */
  nc?: number;
  train?: number;
  val?: number;
  /** Distinct classes drawn per image, inclusive range. */
  labelsPerImage?: [number, number];
  format?: ImageFormat;
}

export interface MultiLabelDatasetInfo {
  root: string;
  trainList: string;
  valList: string;
  names: string[];
  /** Fraction of training images in which each class appears. */
  positiveRatio: number[];
}

/**
 * Writes a PaddleClas multi-label dataset in the NUS-WIDE-SCENE layout:
 *   root/images/img_0000.jpg
 *   root/train_list.txt, root/val_list.txt   lines `images/img_0000.jpg<TAB>0,1,0,...` (nc values)
 * Every label set on a line is visible in its image: one shape per positive class.
 */
export async function generateMultiLabelDataset(root: string, opts: MultiLabelDatasetOptions = {}): Promise<MultiLabelDatasetInfo> {
  const { seed = 0, imgSize = 64, nc = 33, train = 96, val = 32, labelsPerImage = [1, 3], format = "jpg" } = opts;
  const names = classNames(nc);
  await fs.mkdir(path.join(root, "images"), { recursive: true });
  const counts = new Array<number>(nc).fill(0);
  const lists: Record<string, string[]> = { train: [], val: [] };
  const writes: Promise<void>[] = [];
  const total = train + val;
  const digits = Math.max(4, String(total - 1).length);
  for (let i = 0; i < total; i++) {
    const split = i < train ? "train" : "val";
    const rng = new Prng(mixSeed(seed, 21, i));
    const img = noisyBackground(imgSize, imgSize, rng);
    const wanted = labelsPerImage[0] + rng.int(labelsPerImage[1] - labelsPerImage[0] + 1);
    const classes = rng.permutation(nc).slice(0, wanted);
    const boxes = placeBoxes(imgSize, imgSize, classes.length, [{ min: 0.22, max: 0.45, weight: 1 }], rng);
    const target = new Array<number>(nc).fill(0);
    // Only classes that found room are drawn, and only drawn classes are labelled.
    boxes.forEach((box, j) => {
      const look = classAppearance(classes[j], nc);
      drawShape(img, look.shape, box, look.rgb, rng);
      target[classes[j]] = 1;
    });
    if (split === "train") target.forEach((v, k) => (counts[k] += v));
    const rel = `images/img_${String(i).padStart(digits, "0")}.${format}`;
    writes.push(writeImageFile(path.join(root, rel), img, format));
    lists[split].push(`${rel}\t${target.join(",")}\n`);
  }
  await Promise.all(writes);
  const trainList = path.join(root, "train_list.txt");
  const valList = path.join(root, "val_list.txt");
  await fs.writeFile(trainList, lists.train.join(""));
  await fs.writeFile(valList, lists.val.join(""));
  return { root, trainList, valList, names, positiveRatio: counts.map((c) => (train > 0 ? c / train : 0)) };
}
