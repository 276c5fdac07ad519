// scale_boxes and clip_boxes (utils/general.py): boxes from the letterboxed input back onto
// the original image.

/** [h, w] */
export type Shape2 = [number, number];

/**
 * scale_boxes(img1_shape, boxes, img0_shape, ratio_pad): undoes the letterbox. Without
 * ratioPad the gain and pad are recomputed from the shapes (detect.py); val.py passes the
 * dataset's own ((h/h0, w/w0), (padw, padh)) and uses its height gain, as YOLOv5 does.
 * Works in place on rows whose first 4 numbers are x1, y1, x2, y2; clips to img0.
 */
export function scaleBoxes(img1: Shape2, rows: number[][], img0: Shape2, ratioPad?: [[number, number], [number, number]]): number[][] {
  let gain: number, padX: number, padY: number;
  if (ratioPad) {
    gain = ratioPad[0][0];
    [padX, padY] = ratioPad[1];
  } else {
    gain = Math.min(img1[0] / img0[0], img1[1] / img0[1]);
    padX = (img1[1] - img0[1] * gain) / 2;
    padY = (img1[0] - img0[0] * gain) / 2;
  }
  for (const r of rows) {
    r[0] = (r[0] - padX) / gain;
    r[2] = (r[2] - padX) / gain;
    r[1] = (r[1] - padY) / gain;
    r[3] = (r[3] - padY) / gain;
  }
  return clipBoxes(rows, img0);
}

/** clip_boxes: x to [0, w], y to [0, h], in place. */
export function clipBoxes(rows: number[][], [h, w]: Shape2): number[][] {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  for (const r of rows) {
    r[0] = clamp(r[0], w);
    r[2] = clamp(r[2], w);
    r[1] = clamp(r[1], h);
    r[3] = clamp(r[3], h);
  }
  return rows;
}
