import type * as tf from "@tensorflow/tfjs";
import { type Box, boxIou, xywh2xyxy } from "./boxes";

export interface Detection {
  box: Box;
  conf: number;
  cls: number;
}

export interface NmsOptions {
  confThres?: number; // 0.25 (val.py uses 0.001)
  iouThres?: number; // 0.45 (val.py uses 0.6)
  maxDet?: number; // 300
  /** Keep every class above the threshold per box (val.py), not only the best one. */
  multiLabel?: boolean;
  /** Keep only these classes. */
  classes?: number[];
  /** Suppress across classes. */
  agnostic?: boolean;
  maxNms?: number; // 30000 boxes into NMS at most
}

/**
 * YOLOv5's non_max_suppression on decoded outputs [bs, N, 5 + nc] (xywh, objectness,
 * class scores): candidates need obj > conf; conf = obj · cls; boxes to corners; best
 * class (or every class over the threshold with multiLabel); at most maxNms by confidence;
 * greedy NMS within each class (YOLOv5 offsets boxes by class for the same effect); at most
 * maxDet kept, highest confidence first. Returns detections per image.
 */
export async function nonMaxSuppression(prediction: tf.Tensor, opts: NmsOptions = {}): Promise<Detection[][]> {
  const [bs, n, no] = prediction.shape;
  const data = await prediction.data();
  return Array.from({ length: bs }, (_, i) => nmsImage(data.subarray(i * n * no, (i + 1) * n * no) as Float32Array, n, no, opts));
}

/** NMS for one image's rows (row-major [n, no]). */
export function nmsImage(rows: ArrayLike<number>, n: number, no: number, opts: NmsOptions = {}): Detection[] {
  const conf = opts.confThres ?? 0.25,
    iou = opts.iouThres ?? 0.45,
    maxDet = opts.maxDet ?? 300,
    maxNms = opts.maxNms ?? 30000;
  if (!(conf >= 0 && conf <= 1)) throw new RangeError(`Invalid Confidence threshold ${conf}, valid values are between 0.0 and 1.0`);
  if (!(iou >= 0 && iou <= 1)) throw new RangeError(`Invalid IoU ${iou}, valid values are between 0.0 and 1.0`);
  const nc = no - 5;
  let cands: Detection[] = [];
  for (let r = 0; r < n; r++) {
    const o = r * no,
      obj = rows[o + 4];
    if (!(obj > conf)) continue;
    const box = xywh2xyxy([rows[o], rows[o + 1], rows[o + 2], rows[o + 3]]);
    if (opts.multiLabel) {
      for (let c = 0; c < nc; c++) {
        const s = rows[o + 5 + c] * obj;
        if (s > conf) cands.push({ box, conf: s, cls: c });
      }
    } else {
      let best = 0;
      for (let c = 1; c < nc; c++) if (rows[o + 5 + c] > rows[o + 5 + best]) best = c;
      const s = rows[o + 5 + best] * obj;
      if (s > conf) cands.push({ box, conf: s, cls: best });
    }
  }
  if (opts.classes) cands = cands.filter((d) => opts.classes!.includes(d.cls));
  cands.sort((a, b) => b.conf - a.conf);
  if (cands.length > maxNms) cands.length = maxNms;
  const keptByClass = new Map<number, Detection[]>();
  const out: Detection[] = [];
  for (const d of cands) {
    const key = opts.agnostic ? -1 : d.cls;
    const kept = keptByClass.get(key) ?? [];
    if (kept.some((k) => boxIou(k.box, d.box) > iou)) continue;
    kept.push(d);
    keptByClass.set(key, kept);
    out.push(d);
    if (out.length >= maxDet) break;
  }
  return out;
}
