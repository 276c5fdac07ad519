/**
 * YOLOv5's compute_ap: precision envelope over the recall curve (with sentinels), then the
 * area by the trapezoidal rule over 101 evenly spaced recall points (COCO's interpolation).
 */
export function computeAp(recall: number[], precision: number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [1, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  const ys: number[] = [];
  for (let k = 0; k <= 100; k++) ys.push(interpIncreasing(k / 100, mrec, mpre));
  let ap = 0;
  for (let k = 1; k <= 100; k++) ap += ((ys[k] + ys[k - 1]) / 2) * 0.01;
  return ap;
}

/** numpy.interp for non-decreasing xp (at a repeated xp value numpy returns the last one's fp). */
function interpIncreasing(x: number, xp: number[], fp: number[]): number {
  // Strictly below: at x == xp[0] with xp[0] repeated (a class with no true positive at a threshold) numpy takes the last one.
  if (x < xp[0]) return fp[0];
  const last = xp.length - 1;
  if (x >= xp[last]) return fp[last];
  // first index with xp[j] > x
  let lo = 0,
    hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  const j = lo,
    i = j - 1;
  return fp[i] + ((x - xp[i]) / (xp[j] - xp[i])) * (fp[j] - fp[i]);
}

export interface ApPerClass {
  /** Classes present in the labels, ascending. */
  classes: number[];
  /** ap[class][iouThreshold]. */
  ap: number[][];
  /** Precision, recall, F1 per class at the confidence with the best mean F1. */
  p: number[];
  r: number[];
  f1: number[];
}

/**
 * YOLOv5's ap_per_class. `tp[i][j]`: detection i is a true positive at IoU threshold j;
 * `conf`, `predCls` per detection; `targetCls` per label. Classes with labels but no
 * detections get AP 0 (and count in the mean).
 */
export function apPerClass(tp: boolean[][], conf: number[], predCls: number[], targetCls: number[], eps = 1e-16): ApPerClass {
  const order = conf.map((_, i) => i).sort((a, b) => conf[b] - conf[a]);
  const nIou = tp[0]?.length ?? 10;
  const counts = new Map<number, number>();
  for (const c of targetCls) counts.set(c, (counts.get(c) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const px = Array.from({ length: 1000 }, (_, k) => k / 999);
  const ap: number[][] = [],
    pCurve: number[][] = [],
    rCurve: number[][] = [];
  for (const c of classes) {
    const idx = order.filter((i) => predCls[i] === c);
    const nl = counts.get(c)!;
    if (!idx.length) {
      ap.push(new Array(nIou).fill(0));
      pCurve.push(new Array(1000).fill(0));
      rCurve.push(new Array(1000).fill(0));
      continue;
    }
    const confs = idx.map((i) => conf[i]);
    const row: number[] = [];
    let recall0: number[] = [],
      precision0: number[] = [];
    for (let j = 0; j < nIou; j++) {
      let tpc = 0,
        fpc = 0;
      const recall: number[] = [],
        precision: number[] = [];
      for (const i of idx) {
        if (tp[i][j]) tpc++;
        else fpc++;
        recall.push(tpc / (nl + eps));
        precision.push(tpc / (tpc + fpc));
      }
      if (j === 0) [recall0, precision0] = [recall, precision];
      row.push(computeAp(recall, precision));
    }
    ap.push(row);
    // curves at IoU 0.5 against confidence (np.interp(-px, -conf, ...))
    const negConf = confs.map((x) => -x);
    rCurve.push(px.map((x) => interpWithLeft(-x, negConf, recall0, 0)));
    pCurve.push(px.map((x) => interpWithLeft(-x, negConf, precision0, 1)));
  }
  const f1Curve = pCurve.map((pc, k) => pc.map((p, m) => (2 * p * rCurve[k][m]) / (p + rCurve[k][m] + eps)));
  const meanF1 = px.map((_, m) => f1Curve.reduce((s, row) => s + row[m], 0) / Math.max(1, f1Curve.length));
  const best = argmax(smooth(meanF1, 0.1));
  return {
    classes,
    ap,
    p: pCurve.map((row) => row[best]),
    r: rCurve.map((row) => row[best]),
    f1: f1Curve.map((row) => row[best]),
  };
}

function interpWithLeft(x: number, xp: number[], fp: number[], left: number): number {
  if (x < xp[0]) return left;
  return interpIncreasing(x, xp, fp);
}

/** YOLOv5's smooth: box filter of fraction f, edges padded with the end values. */
function smooth(y: number[], f: number): number[] {
  const nf = Math.floor(Math.round(y.length * f * 2) / 2) + 1;
  const half = Math.floor(nf / 2);
  const padded = [...new Array(half).fill(y[0]), ...y, ...new Array(half).fill(y[y.length - 1])];
  const out: number[] = [];
  for (let i = 0; i + nf <= padded.length; i++) {
    let s = 0;
    for (let k = 0; k < nf; k++) s += padded[i + k];
    out.push(s / nf);
  }
  return out;
}

function argmax(a: number[]): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
}
