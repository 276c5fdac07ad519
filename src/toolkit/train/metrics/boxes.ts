/** Boxes as [x1, y1, x2, y2] in pixels. */
export type Box = [number, number, number, number];

/** Center-size to corners. */
export function xywh2xyxy([x, y, w, h]: readonly number[]): Box {
  return [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two corner boxes (0 when they do not overlap). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** IoU matrix [a.length][b.length], as torchvision's box_iou. */
export function boxIouMatrix(a: Box[], b: Box[]): number[][] {
  return a.map((x) => b.map((y) => boxIou(x, y)));
}

/**
 * box_iou as YOLOv5's val.py computes it: on float32 tensors, with eps 1e-7 in the
 * denominator. Matching at IoU 0.95 turns on the last bits, so val's figures need the same
 * arithmetic, not a double-precision IoU.
 */
export function boxIouFloat32(a: Box, b: Box): number {
  const f = Math.fround;
  const iw = Math.max(0, f(Math.min(a[2], b[2]) - Math.max(a[0], b[0])));
  const ih = Math.max(0, f(Math.min(a[3], b[3]) - Math.max(a[1], b[1])));
  const inter = f(iw * ih);
  const areaA = f(f(a[2] - a[0]) * f(a[3] - a[1]));
  const areaB = f(f(b[2] - b[0]) * f(b[3] - b[1]));
  return f(inter / f(f(f(areaA + areaB) - inter) + f(1e-7)));
}
