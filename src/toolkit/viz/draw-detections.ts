// Detections drawn on their image: a box per detection in its class colour, with the
// class name and score on a tag, returned as a PNG that displays inline.
import * as tf from "@tensorflow/tfjs";
import type { Detection } from "../train/metrics/nms";
import type { PngImage } from "../../display";
import { encodePng, strokeRect, toRgb, type ImageInput, type ToRgbOptions } from "./raster";
import type { RgbImage } from "../data/image";
import { classColor, tagsSvg, tagText, type TextTag } from "./labels-svg";

/** A box in pixels with its class and (for predictions) score. */
export interface BoxRow {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  cls: number;
  conf?: number;
}

/** Detections: a tensor or rows [n, 6] (x1, y1, x2, y2, conf, cls) in pixels, or nonMaxSuppression's output for one image. */
export type DetectionsInput = tf.Tensor | ArrayLike<number>[] | Detection[];

export interface DrawOptions {
  /** Class names by index (a list, or data.yaml's `names` map). */
  names?: string[] | Record<number, string>;
  /** Box outline width in pixels; default YOLOv5's max(round((W + H) / 2 * 0.003), 2). */
  lineWidth?: number;
  /** Tag font size in pixels; default max(round((W + H) / 2 * 0.035), 11). */
  fontSize?: number;
  /** Draw tags with class names and scores (default true). */
  labels?: boolean;
}

export interface DrawDetectionsOptions extends DrawOptions, ToRgbOptions {
  /** Skip detections scoring below this. */
  minConf?: number;
}

function isDetectionList(v: unknown): v is Detection[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === "object" && v[0] !== null && "box" in (v[0] as object);
}

/** Any DetectionsInput as box rows. */
export async function detectionRows(detections: DetectionsInput): Promise<BoxRow[]> {
  if (isDetectionList(detections))
    return detections.map((d) => ({ x1: d.box[0], y1: d.box[1], x2: d.box[2], y2: d.box[3], conf: d.conf, cls: d.cls }));
  let rows: ArrayLike<number>[];
  if (detections instanceof tf.Tensor) {
    if (detections.size === 0) return [];
    if (detections.rank !== 2 || detections.shape[1]! < 6)
      throw new RangeError(`expected detections [n, 6] (x1, y1, x2, y2, conf, cls), got [${detections.shape.join(", ")}]`);
    rows = (await detections.array()) as number[][];
  } else rows = detections as ArrayLike<number>[];
  return rows.map((r, i) => {
    if (r.length < 6) throw new RangeError(`detection ${i} has ${r.length} numbers; expected 6: x1, y1, x2, y2, conf, cls`);
    return { x1: r[0], y1: r[1], x2: r[2], y2: r[3], conf: r[4], cls: Math.round(r[5]) };
  });
}

export function defaultLineWidth(w: number, h: number): number {
  return Math.max(Math.round(((w + h) / 2) * 0.003), 2);
}
export function defaultFontSize(w: number, h: number): number {
  return Math.max(Math.round(((w + h) / 2) * 0.035), 11);
}

/** Draws box outlines into `img` (offset by left/top, for grids) and returns the tags to overlay. */
export function drawBoxes(
  img: RgbImage,
  boxes: BoxRow[],
  opts: DrawOptions & { left?: number; top?: number; lineWidth: number },
): TextTag[] {
  const left = opts.left ?? 0,
    top = opts.top ?? 0;
  const tags: TextTag[] = [];
  for (const b of boxes) {
    const color = classColor(b.cls);
    strokeRect(img, left + b.x1, top + b.y1, left + b.x2, top + b.y2, color, opts.lineWidth);
    if (opts.labels !== false)
      tags.push({ x: Math.round(left + b.x1), y: Math.round(top + b.y1), text: tagText(b.cls, b.conf, opts.names), color });
  }
  return tags;
}

/**
 * `await lab.drawDetections(image, dets, { names })`: the image [H, W, 3] with each detection's
 * box, class name and score, as a PNG that shows inline (or via display()).
 */
export async function drawDetections(image: ImageInput, detections: DetectionsInput, opts: DrawDetectionsOptions = {}): Promise<PngImage> {
  const img = await toRgb(image, opts);
  const rows = (await detectionRows(detections)).filter((r) => opts.minConf === undefined || (r.conf ?? 1) >= opts.minConf);
  const lineWidth = opts.lineWidth ?? defaultLineWidth(img.width, img.height);
  const fontSize = opts.fontSize ?? defaultFontSize(img.width, img.height);
  const tags = drawBoxes(img, rows, { ...opts, lineWidth });
  return encodePng(
    img,
    tags.length ? tagsSvg(img.width, img.height, tags, fontSize) : undefined,
    `${rows.length} detection${rows.length === 1 ? "" : "s"}`,
  );
}
