// A batch as one picture (YOLOv5's plot_images): images in a grid with their labels: boxes
// from YOLO targets [nt, 6] (image index, class, x, y, w, h normalised; a 7th column is a
// score) or one class per image for classification batches.
import * as tf from "@tensorflow/tfjs";
import type { PngImage } from "../../display";
import type { RgbImage } from "../data/image";
import { batchToRgb, blit, encodePng, resizeRgb, type ImageInput, type ToRgbOptions } from "./raster";
import { defaultFontSize, defaultLineWidth, drawBoxes, type BoxRow, type DrawOptions } from "./draw-detections";
import { tagsSvg, tagText, type TextTag } from "./labels-svg";

/** YOLO targets [nt, 6|7] (tensor or rows), or per-image class ids [B] for classification. */
export type GridLabels = tf.Tensor | ArrayLike<number>[] | number[];

export interface ImageGridOptions extends DrawOptions, ToRgbOptions {
  /** Images per row; default ceil(sqrt(B)). */
  cols?: number;
  /** White pixels between tiles (default 2). */
  gap?: number;
  /** Longest side of the grid; larger grids are scaled down (default 1920, as YOLOv5). */
  maxSize?: number;
  /** A caption per image (e.g. file names), drawn at its top-left corner. */
  titles?: string[];
}

const GAP_COLOR = 255;

/** Labels split per image: boxes in pixels of their image (sizes[i] = [w, h]), or a class id. */
async function labelsPerImage(
  labels: GridLabels | undefined,
  sizes: [number, number][],
): Promise<{ boxes: BoxRow[][]; classes?: number[] }> {
  const b = sizes.length;
  const boxes: BoxRow[][] = Array.from({ length: b }, () => []);
  if (labels === undefined) return { boxes };
  let rows: ArrayLike<number>[] | number[];
  if (labels instanceof tf.Tensor) {
    if (labels.rank === 1) return { boxes, classes: Array.from(await labels.data()) };
    if (labels.rank !== 2 || (labels.size > 0 && labels.shape[1]! < 6))
      throw new RangeError(`expected YOLO targets [nt, 6] (image, class, x, y, w, h), got [${labels.shape.join(", ")}]`);
    rows = labels.size ? ((await labels.array()) as number[][]) : [];
  } else rows = labels;
  if (rows.length && typeof rows[0] === "number") return { boxes, classes: (rows as number[]).slice() };
  (rows as ArrayLike<number>[]).forEach((r, i) => {
    if (r.length < 6) throw new RangeError(`target ${i} has ${r.length} numbers; expected 6: image, class, x, y, w, h`);
    const img = Math.round(r[0]);
    if (img < 0 || img >= b) return; // a target for an image not in this batch
    const [w, h] = sizes[img];
    const [cx, cy, bw, bh] = [r[2] * w, r[3] * h, r[4] * w, r[5] * h];
    boxes[img].push({
      x1: cx - bw / 2,
      y1: cy - bh / 2,
      x2: cx + bw / 2,
      y2: cy + bh / 2,
      cls: Math.round(r[1]),
      conf: r.length > 6 ? r[6] : undefined,
    });
  });
  return { boxes };
}

/**
 * `await lab.imageGrid(batch.images, batch.targets, { names, cols: 4 })`: the batch [B, H, W, 3]
 * as one PNG, tiles left to right, top to bottom, `gap` pixels apart, each with its labels.
 */
export async function imageGrid(images: tf.Tensor | ImageInput[], labels?: GridLabels, opts: ImageGridOptions = {}): Promise<PngImage> {
  let tiles = await batchToRgb(images, opts);
  const b = tiles.length;
  if (!b) throw new RangeError("imageGrid: the batch has no images");
  const w0 = Math.max(...tiles.map((t) => t.width)),
    h0 = Math.max(...tiles.map((t) => t.height));
  const { boxes, classes } = await labelsPerImage(
    labels,
    tiles.map((t): [number, number] => [t.width, t.height]),
  );
  const cols = Math.max(1, Math.min(b, Math.round(opts.cols ?? Math.ceil(Math.sqrt(b)))));
  const rowsN = Math.ceil(b / cols);
  const gap = Math.max(0, Math.round(opts.gap ?? 2));
  const maxSize = opts.maxSize ?? 1920;
  // Tiles shrink (gaps do not) until the grid's longer side fits in maxSize.
  const scale = Math.min(1, (maxSize - (cols - 1) * gap) / (cols * w0), (maxSize - (rowsN - 1) * gap) / (rowsN * h0));
  const tw = Math.max(1, Math.floor(w0 * scale)),
    th = Math.max(1, Math.floor(h0 * scale));
  if (scale !== 1)
    tiles = await Promise.all(
      tiles.map((t) => resizeRgb(t, Math.max(1, Math.floor(t.width * scale)), Math.max(1, Math.floor(t.height * scale)))),
    );

  const grid: RgbImage = { width: cols * tw + (cols - 1) * gap, height: rowsN * th + (rowsN - 1) * gap, data: new Uint8Array(0) };
  grid.data = new Uint8Array(grid.width * grid.height * 3).fill(GAP_COLOR);
  const lineWidth = opts.lineWidth ?? Math.max(1, defaultLineWidth(tw, th) - 1);
  const fontSize = opts.fontSize ?? Math.max(9, Math.round(defaultFontSize(tw, th) * 0.8));
  const tags: TextTag[] = [];
  tiles.forEach((tile, i) => {
    const left = (i % cols) * (tw + gap),
      top = Math.floor(i / cols) * (th + gap);
    blit(grid, tile, left, top);
    const scaled = boxes[i].map((r) => ({ ...r, x1: r.x1 * scale, y1: r.y1 * scale, x2: r.x2 * scale, y2: r.y2 * scale }));
    tags.push(...drawBoxes(grid, scaled, { ...opts, lineWidth, left, top }));
    const caption = [opts.titles?.[i], classes ? tagText(classes[i], undefined, opts.names) : undefined].filter(Boolean).join(": ");
    if (caption) tags.push({ x: left, y: top, text: caption, color: [40, 40, 40], inside: true });
  });
  const svg = tags.length ? tagsSvg(grid.width, grid.height, tags, fontSize) : undefined;
  return encodePng(grid, svg, `${b} image${b === 1 ? "" : "s"}, ${cols} per row`);
}
