// lab.nms: YOLOv5's non_max_suppression (utils/general.py, v7.0) with its options and its
// result, one [n, 6] list of rows [x1, y1, x2, y2, conf, class] per image, best first.
import * as tf from "@tensorflow/tfjs";
import { nmsImage } from "../train/metrics/nms";

export interface YoloNmsOptions {
  /** conf_thres: 0.25 (val.py: 0.001). Candidates need objectness and obj x class above it. */
  confThres?: number;
  /** iou_thres: 0.45 (val.py: 0.6). */
  iouThres?: number;
  /** Keep only these classes. */
  classes?: number[];
  /** Suppress across classes (class-agnostic NMS). */
  agnostic?: boolean;
  /** Every class above the threshold per box (val.py), not only the best; off when nc is 1, as YOLOv5 does. */
  multiLabel?: boolean;
  /** max_det: 300. */
  maxDet?: number;
  /** Boxes into NMS at most (max_nms, 30000). */
  maxNms?: number;
}

/** A detection row: x1, y1, x2, y2, conf, class. */
export type DetectionRow = [number, number, number, number, number, number];

/**
 * non_max_suppression(prediction, conf_thres, iou_thres, classes, agnostic, multi_label,
 * max_det=max_det) on decoded output [bs, N, 5 + nc] (or the eval output [decoded, maps], as
 * YOLOv5 takes prediction[0] of a list). Returns rows per image, highest confidence first.
 */
export async function nms(prediction: tf.Tensor | [tf.Tensor, ...unknown[]], opts: YoloNmsOptions = {}): Promise<DetectionRow[][]> {
  const pred = Array.isArray(prediction) ? prediction[0] : prediction;
  if (!(pred instanceof tf.Tensor) || pred.rank !== 3 || (pred.shape[2] ?? 0) < 6) {
    const shape = pred instanceof tf.Tensor ? `[${pred.shape.join(", ")}]` : typeof pred;
    throw new RangeError(`nms expects decoded predictions [batch, boxes, 5 + nc] (eval-mode output); got ${shape}`);
  }
  const [bs, n, no] = pred.shape;
  const data = (await pred.data()) as Float32Array;
  return Array.from({ length: bs }, (_, i) => nmsRows(data.subarray(i * n * no, (i + 1) * n * no), n, no, opts));
}

/** One image's rows (row-major [n, no]) through NMS. */
export function nmsRows(rows: ArrayLike<number>, n: number, no: number, opts: YoloNmsOptions = {}): DetectionRow[] {
  const nc = no - 5;
  const dets = nmsImage(rows, n, no, {
    confThres: opts.confThres ?? 0.25,
    iouThres: opts.iouThres ?? 0.45,
    classes: opts.classes,
    agnostic: opts.agnostic,
    multiLabel: (opts.multiLabel ?? false) && nc > 1,
    maxDet: opts.maxDet ?? 300,
    maxNms: opts.maxNms,
  });
  return dets.map((d) => [d.box[0], d.box[1], d.box[2], d.box[3], d.conf, d.cls]);
}
