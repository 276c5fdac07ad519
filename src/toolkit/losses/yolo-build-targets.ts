// yolov5 v7.0 `ComputeLoss.build_targets`, done on the host: it only reads the label
// rows and the map sizes, and its output indexes the prediction maps.

/** One prediction level's assigned targets (yolov5's tcls, tbox, indices, anch). */
export interface LevelTargets {
  /** image b, anchor a, grid row gj, grid column gi, per assignment */
  image: number[];
  anchor: number[];
  gridY: number[];
  gridX: number[];
  classId: number[];
  /** target box (x - gi, y - gj, w, h) in grid units, `[n*4]` */
  box: Float32Array;
  /** the assigned anchor's (w, h) in grid units, `[n*2]` */
  anchorWh: Float32Array;
}

/** Neighbour-cell offsets (yolov5's `off`) times g = 0.5: self, left, up, right, down. */
const CELL_OFFSETS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.5, 0],
  [0, 0.5],
  [-0.5, 0],
  [0, -0.5],
];
const HALF_CELL = 0.5;
const f32 = Math.fround;

/**
 * Assigns each label row `[image, class, x, y, w, h]` (normalised) to the anchors whose
 * width and height ratios are within `anchorT` (max(r, 1/r) < anchor_t), on its own grid
 * cell and on the up-to-two neighbouring cells whose centre is within half a cell
 * (j, k, l, m in yolov5). Order and float32 arithmetic follow yolov5, so the same cell
 * written twice ends with the same (last) value.
 *
 * @param anchorsGrid per anchor (w, h) in grid units (anchors in pixels / stride)
 * @param gridShape [ny, nx] of this level
 */
export function buildLevelTargets(
  targets: ArrayLike<number>,
  numTargets: number,
  anchorsGrid: readonly (readonly [number, number])[],
  gridShape: readonly [number, number],
  anchorT: number,
): LevelTargets {
  const [ny, nx] = gridShape;
  const gain = [nx, ny, nx, ny];
  // matched (anchor-major, then target) entries: t = targets.repeat(na)[j]
  const matched: { row: number; anchor: number; gx: number; gy: number; gw: number; gh: number }[] = [];
  anchorsGrid.forEach(([aw, ah], anchor) => {
    for (let row = 0; row < numTargets; row++) {
      const o = row * 6;
      const gx = f32(targets[o + 2] * gain[0]),
        gy = f32(targets[o + 3] * gain[1]);
      const gw = f32(targets[o + 4] * gain[2]),
        gh = f32(targets[o + 5] * gain[3]);
      const rw = f32(gw / aw),
        rh = f32(gh / ah);
      const worst = Math.max(rw, f32(1 / rw), rh, f32(1 / rh));
      if (worst < anchorT) matched.push({ row, anchor, gx, gy, gw, gh });
    }
  });

  const out: LevelTargets = {
    image: [],
    anchor: [],
    gridY: [],
    gridX: [],
    classId: [],
    box: new Float32Array(0),
    anchorWh: new Float32Array(0),
  };
  const box: number[] = [];
  const anchorWh: number[] = [];
  const offsetUsed = (m: (typeof matched)[number], k: number): boolean => {
    const gxi = f32(nx - m.gx),
      gyi = f32(ny - m.gy);
    switch (k) {
      case 0:
        return true;
      case 1:
        return m.gx % 1 < HALF_CELL && m.gx > 1;
      case 2:
        return m.gy % 1 < HALF_CELL && m.gy > 1;
      case 3:
        return gxi % 1 < HALF_CELL && gxi > 1;
      default:
        return gyi % 1 < HALF_CELL && gyi > 1;
    }
  };
  // t.repeat((5, 1, 1))[j]: offset-major order
  CELL_OFFSETS.forEach(([ox, oy], k) => {
    for (const m of matched) {
      if (!offsetUsed(m, k)) continue;
      const gi = clamp(Math.trunc(f32(m.gx - ox)), 0, nx - 1);
      const gj = clamp(Math.trunc(f32(m.gy - oy)), 0, ny - 1);
      const o = m.row * 6;
      out.image.push(Math.trunc(targets[o]));
      out.classId.push(Math.trunc(targets[o + 1]));
      out.anchor.push(m.anchor);
      out.gridY.push(gj);
      out.gridX.push(gi);
      box.push(f32(m.gx - gi), f32(m.gy - gj), m.gw, m.gh);
      anchorWh.push(anchorsGrid[m.anchor][0], anchorsGrid[m.anchor][1]);
    }
  });
  out.box = Float32Array.from(box);
  out.anchorWh = Float32Array.from(anchorWh);
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
