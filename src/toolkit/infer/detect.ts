// lab.detect: YOLOv5's detect.py on images: letterbox (auto, to the model's stride), the
// eval forward, non_max_suppression, boxes scaled back onto each original image and
// rounded. The result is per image the rows [x1, y1, x2, y2, conf, class], as YOLOv5's `det`;
// as a cell's value it shows each image with its boxes drawn.
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { YOLOv5 } from "../nn/yolo";
import { checkImgSize } from "../nn/yolo";
import { IMAGE_EXTENSIONS, readImageOrThrow, toFloatImage, isImageFile, type RgbImage } from "../data/image";
import { frameworkError } from "../nn/errors";
import { letterbox, pyRound } from "../data/letterbox";
import { drawDetections } from "../viz/draw-detections";
import { JUPYTER_DISPLAY, escapeHtml, type PngImage } from "../../display";
import { nmsRows, type DetectionRow, type YoloNmsOptions } from "./nms";
import { decodedPredictions, inEvalMode } from "./predict";
import { scaleBoxes } from "./scale-boxes";

export interface DetectOptions extends Omit<YoloNmsOptions, "confThres" | "iouThres"> {
  /** Inference size (detect.py --imgsz, default 640), rounded up to the model's stride. */
  imgsz?: number | [number, number];
  /** Confidence threshold (default 0.25). */
  conf?: number;
  /** NMS IoU threshold (default 0.45). */
  iou?: number;
  /** Images drawn for display (default 16); the rows cover every image. */
  drawLimit?: number;
}

/** One image's detections: rows, and where they came from (non-enumerable, so the rows compare as plain arrays). */
export type ImageDetections = DetectionRow[] & { readonly path?: string; readonly shape: [number, number] };
export type Detections = ImageDetections[];

/** An image to detect in: a file, a folder of images, or a decoded RGB image. */
export type DetectSource = string | RgbImage;

/** Files and images in order, folders expanded (sorted, as detect.py's LoadImages). */
async function expandSources(sources: DetectSource | DetectSource[]): Promise<{ path?: string; image?: RgbImage }[]> {
  const out: { path?: string; image?: RgbImage }[] = [];
  for (const s of Array.isArray(sources) ? sources : [sources]) {
    if (typeof s !== "string") {
      out.push({ image: s });
      continue;
    }
    const st = await fs.stat(s).catch(() => null);
    if (!st) throw frameworkError("FileNotFoundError", `${s} does not exist`);
    if (st.isDirectory()) {
      const names = (await fs.readdir(s)).filter(isImageFile).sort();
      if (!names.length)
        throw frameworkError("FileNotFoundError", `No images found in ${s}. Supported formats are: ${IMAGE_EXTENSIONS.join(" ")}`);
      out.push(...names.map((n) => ({ path: path.join(s, n) })));
    } else out.push({ path: s });
  }
  return out;
}

/** `await lab.detect(model, "images/", { imgsz: 640, conf: 0.25, iou: 0.45 })`. */
export async function detect(model: YOLOv5, sources: DetectSource | DetectSource[], opts: DetectOptions = {}): Promise<Detections> {
  const stride = Math.max(...model.stride);
  const size = checkImgSize(opts.imgsz ?? 640, stride).size;
  const shape: [number, number] = Array.isArray(size) ? [size[0], size[1]] : [size, size];
  const results: Detections = [];
  const drawn: { name: string; png: PngImage; summary: string }[] = [];
  await inEvalMode(model, async () => {
    for (const src of await expandSources(sources)) {
      const im0 = src.image ?? (await readImageOrThrow(src.path!, src.path!));
      const { image } = await letterbox(im0, shape, { auto: true, stride });
      const input = tf.tensor4d(toFloatImage(image).data, [1, image.height, image.width, 3]);
      const { data, n, no } = await decodedPredictions(model, input);
      const rows = nmsRows(data, n, no, { ...opts, confThres: opts.conf ?? 0.25, iouThres: opts.iou ?? 0.45, maxDet: opts.maxDet ?? 1000 });
      scaleBoxes([image.height, image.width], rows, [im0.height, im0.width]);
      for (const r of rows) for (let k = 0; k < 4; k++) r[k] = pyRound(r[k]); // torch.round: halves to even
      const result = rows as ImageDetections;
      Object.defineProperty(result, "path", { value: src.path, enumerable: false });
      Object.defineProperty(result, "shape", { value: [im0.height, im0.width], enumerable: false });
      results.push(result);
      if (drawn.length < (opts.drawLimit ?? 16)) {
        drawn.push({
          name: src.path ? path.basename(src.path) : `image ${results.length - 1}`,
          png: await drawDetections(im0, rows, { names: model.names }),
          summary: summarize(rows, model.names),
        });
      }
    }
  });
  Object.defineProperty(results, JUPYTER_DISPLAY, { value: () => detectionsBundle(results, drawn), enumerable: false });
  return results;
}

/** detect.py's log line: "2 circles, 1 triangle" (or "(no detections)"). */
function summarize(rows: DetectionRow[], names: string[]): string {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r[5], (counts.get(r[5]) ?? 0) + 1);
  if (!counts.size) return "(no detections)";
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([c, k]) => `${k} ${names[c] ?? c}${k > 1 ? "s" : ""}`)
    .join(", ");
}

function detectionsBundle(results: Detections, drawn: { name: string; png: PngImage; summary: string }[]) {
  const text = results
    .map(
      (rows, i) =>
        `${drawn[i]?.name ?? rows.path ?? `image ${i}`}: ${rows.shape[1]}x${rows.shape[0]} ${rows.length} detection${rows.length === 1 ? "" : "s"}`,
    )
    .join("\n");
  // Small images (YOLOv5 users review 160-320 px runs too) are shown at least 320 px wide.
  const shown = (png: PngImage) => Math.max(1, Math.ceil(320 / png.width));
  const figures = drawn
    .map(
      ({ name, png, summary }) =>
        `<figure style="display:inline-block;margin:4px"><img src="data:image/png;base64,${Buffer.from(png.png).toString("base64")}" width="${png.width * shown(png)}" height="${png.height * shown(png)}" style="image-rendering:pixelated"/>` +
        `<figcaption style="font:12px sans-serif">${escapeHtml(name)}: ${escapeHtml(summary)}</figcaption></figure>`,
    )
    .join("");
  const more =
    results.length > drawn.length ? `<p style="font:12px sans-serif">${results.length - drawn.length} more image(s) not drawn</p>` : "";
  return { "text/html": `<div>${figures}${more}</div>`, "text/plain": text };
}
