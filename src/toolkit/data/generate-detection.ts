import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { Prng, mixSeed } from "./prng";
import { type ImageFormat, writeImageFile } from "./image";
import { DEFAULT_SIZE_BANDS, type SizeBand, classAppearance, classNames, drawShape, noisyBackground, placeBoxes } from "./shapes";

export interface DetectionDatasetOptions {
  seed?: number;
  /** Side length, or [height, width] for non-square images. */
  imgSize?: number | [number, number];
  /** Images per split. */
  train?: number;
  val?: number;
  nc?: number;
  format?: ImageFormat;
  /** Objects per image, inclusive range. */
  objectsPerImage?: [number, number];
  sizeBands?: SizeBand[];
}

export interface DetectionDatasetInfo {
  root: string;
  dataYaml: string;
  names: string[];
  nc: number;
  images: { train: number; val: number };
  /** Objects written, and how many of them are small (area under (32/640 * image side)^2, COCO's "small" scaled). */
  objects: { total: number; small: number };
}

/**
 * Writes a YOLO detection dataset:
 *   root/data.yaml                      path, train, val, nc, names
 *   root/images/{train,val}/img_000.jpg
 *   root/labels/{train,val}/img_000.txt one `class cx cy w h` line per object, normalised to 0..1
 * Each image has its own generator seeded from (seed, split, index), so the same seed
 * gives byte-identical files. `path: .` in data.yaml keeps the dataset relocatable
 * (the toolkit's loader resolves it against the yaml's folder).
 */
export async function generateDetectionDataset(root: string, opts: DetectionDatasetOptions = {}): Promise<DetectionDatasetInfo> {
  const {
    seed = 0,
    imgSize = 160,
    train = 64,
    val = 16,
    nc = 3,
    format = "jpg",
    objectsPerImage = [1, 4],
    sizeBands = DEFAULT_SIZE_BANDS,
  } = opts;
  const [height, width] = typeof imgSize === "number" ? [imgSize, imgSize] : imgSize;
  const names = classNames(nc);
  const smallSide = (32 / 640) * Math.min(width, height);
  const objects = { total: 0, small: 0 };
  const splits: [string, number][] = [
    ["train", train],
    ["val", val],
  ];

  for (const [split, count] of splits) {
    const imageDir = path.join(root, "images", split);
    const labelDir = path.join(root, "labels", split);
    await fs.mkdir(imageDir, { recursive: true });
    await fs.mkdir(labelDir, { recursive: true });
    const digits = Math.max(3, String(count - 1).length);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const rng = new Prng(mixSeed(seed, split === "train" ? 1 : 2, i));
      const img = noisyBackground(width, height, rng);
      const n = objectsPerImage[0] + rng.int(objectsPerImage[1] - objectsPerImage[0] + 1);
      const lines: string[] = [];
      for (const box of placeBoxes(width, height, n, sizeBands, rng)) {
        const cls = rng.int(nc);
        const look = classAppearance(cls, nc);
        drawShape(img, look.shape, box, look.rgb, rng);
        const w = box.x1 - box.x0;
        const h = box.y1 - box.y0;
        const cx = (box.x0 + w / 2) / width;
        const cy = (box.y0 + h / 2) / height;
        lines.push(`${cls} ${fmt(cx)} ${fmt(cy)} ${fmt(w / width)} ${fmt(h / height)}`);
        objects.total++;
        if (w * h < smallSide * smallSide) objects.small++;
      }
      const stem = `img_${String(i).padStart(digits, "0")}`;
      writes.push(writeImageFile(path.join(imageDir, `${stem}.${format}`), img, format));
      writes.push(fs.writeFile(path.join(labelDir, `${stem}.txt`), lines.map((l) => `${l}\n`).join("")));
    }
    await Promise.all(writes);
  }

  const dataYaml = path.join(root, "data.yaml");
  const doc = { path: ".", train: "images/train", val: "images/val", nc, names };
  await fs.writeFile(dataYaml, yaml.dump(doc, { flowLevel: 1, lineWidth: -1 }));
  return { root, dataYaml, names, nc, images: { train, val }, objects };
}

function fmt(x: number): string {
  return x.toFixed(6);
}
