import { apPerClass } from "./average-precision";
import { type Box, boxArea, boxIou } from "./boxes";
import type { Detection } from "./nms";

/** A ground-truth box in pixels (corners) with its class. */
export interface LabelBox {
  box: Box;
  cls: number;
}

/** IoU thresholds of mAP@0.5:0.95: np.linspace(0.5, 0.95, 10), to the bit. */
export const IOU_THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];

/**
 * val.py's iouv: torch.linspace(0.5, 0.95, 10) in float32 (torch fills the first half from
 * the start and the second half back from the end, each in float32).
 */
export const IOU_THRESHOLDS_FLOAT32: number[] = (() => {
  const f = Math.fround,
    n = 10,
    start = f(0.5),
    end = f(0.95);
  const step = f(f(end - start) / (n - 1));
  return Array.from({ length: n }, (_, i) => (i < n / 2 ? f(start + f(step * i)) : f(end - f(step * (n - 1 - i)))));
})();

/**
 * val.py's process_batch: for each IoU threshold, detections matched to labels of the same
 * class with IoU >= threshold, each label and each detection used once (highest IoU first,
 * deduplicated by detection then by label in YOLOv5's order). Returns correct[det][threshold].
 */
export function matchDetections(
  dets: Detection[],
  labels: LabelBox[],
  iouv = IOU_THRESHOLDS,
  iouOf: (a: Box, b: Box) => number = boxIou,
): boolean[][] {
  const correct = dets.map(() => iouv.map(() => false));
  if (!dets.length || !labels.length) return correct;
  const iou = labels.map((l) => dets.map((d) => iouOf(l.box, d.box)));
  iouv.forEach((thr, t) => {
    let matches: [number, number, number][] = [];
    labels.forEach((l, li) =>
      dets.forEach((d, di) => {
        if (iou[li][di] >= thr && l.cls === d.cls) matches.push([li, di, iou[li][di]]);
      }),
    );
    if (matches.length > 1) {
      matches.sort((a, b) => b[2] - a[2]);
      matches = firstByKey(matches, 1); // best IoU per detection, ordered by detection index
      matches = firstByKey(matches, 0); // then first per label, ordered by label index
    }
    for (const m of matches) correct[m[1]][t] = true;
  });
  return correct;
}

/** np.unique(a[:, k], return_index=True): the first row of each key, in ascending key order. */
function firstByKey(rows: [number, number, number][], k: number): [number, number, number][] {
  const first = new Map<number, [number, number, number]>();
  for (const r of rows) if (!first.has(r[k])) first.set(r[k], r);
  return [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** COCO object size ranges by box area in pixels: small < 32², medium < 96², large the rest. */
export const SIZE_RANGES: Record<"small" | "medium" | "large", [number, number]> = {
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, Infinity],
};

export interface DetectionMetrics {
  precision: number;
  recall: number;
  map50: number;
  map: number;
  /** Per class present in the labels: AP@0.5 and AP@0.5:0.95. */
  perClass: { cls: number; labels: number; ap50: number; ap: number }[];
  labels: number;
  detections: number;
}

interface ImageStats {
  correct: boolean[][];
  conf: number[];
  cls: number[];
  dets: Detection[];
  labels: LabelBox[];
}

/**
 * Accumulates images (detections after NMS, labels) as val.py does and computes P, R,
 * mAP@0.5 and mAP@0.5:0.95; `bySize()` gives the same split by object size so small and
 * large objects can be compared. The split follows COCO's idea in a simplified form:
 * labels outside the range are left out, and detections outside the range are ignored
 * unless they matched a kept label.
 */
export class DetectionEvaluator {
  private readonly images: ImageStats[] = [];

  add(dets: Detection[], labels: LabelBox[]): void {
    this.images.push({ correct: matchDetections(dets, labels), conf: dets.map((d) => d.conf), cls: dets.map((d) => d.cls), dets, labels });
  }

  compute(): DetectionMetrics {
    return summarize(this.images.map((s) => ({ correct: s.correct, conf: s.conf, cls: s.cls, labelCls: s.labels.map((l) => l.cls) })));
  }

  bySize(): Record<keyof typeof SIZE_RANGES, DetectionMetrics> {
    const out = {} as Record<keyof typeof SIZE_RANGES, DetectionMetrics>;
    for (const [name, [lo, hi]] of Object.entries(SIZE_RANGES) as [keyof typeof SIZE_RANGES, [number, number]][]) {
      const inRange = (b: Box) => boxArea(b) >= lo && boxArea(b) < hi;
      out[name] = summarize(
        this.images.map((s) => {
          const labels = s.labels.filter((l) => inRange(l.box));
          const correct = matchDetections(s.dets, labels);
          const keep = s.dets.map((d, i) => inRange(d.box) || correct[i].some(Boolean));
          return {
            correct: correct.filter((_, i) => keep[i]),
            conf: s.conf.filter((_, i) => keep[i]),
            cls: s.cls.filter((_, i) => keep[i]),
            labelCls: labels.map((l) => l.cls),
          };
        }),
      );
    }
    return out;
  }
}

function summarize(images: { correct: boolean[][]; conf: number[]; cls: number[]; labelCls: number[] }[]): DetectionMetrics {
  const tp = images.flatMap((s) => s.correct),
    conf = images.flatMap((s) => s.conf),
    cls = images.flatMap((s) => s.cls);
  const targetCls = images.flatMap((s) => s.labelCls);
  const empty = { precision: 0, recall: 0, map50: 0, map: 0, perClass: [], labels: targetCls.length, detections: conf.length };
  if (!targetCls.length) return empty;
  const r = apPerClass(tp, conf, cls, targetCls);
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
  const ap50 = r.ap.map((row) => row[0]),
    apAll = r.ap.map((row) => mean(row));
  return {
    precision: mean(r.p),
    recall: mean(r.r),
    map50: mean(ap50),
    map: mean(apAll),
    perClass: r.classes.map((c, i) => ({ cls: c, labels: targetCls.filter((t) => t === c).length, ap50: ap50[i], ap: apAll[i] })),
    labels: targetCls.length,
    detections: conf.length,
  };
}
