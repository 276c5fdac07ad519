import * as tf from "@tensorflow/tfjs";
import { bceWithLogitsElementwise } from "./bce";
import { bboxCiou } from "./bbox-iou";
import { computeDetached, detach } from "./grad-utils";
import { buildLevelTargets, type LevelTargets } from "./yolo-build-targets";
import { hostValues } from "../../tfjs/webgpu/host-values";

/** The loss hyper-parameters yolov5 reads from `hyp` (after train.py's scaling). */
export interface YoloLossHyp {
  box: number;
  obj: number;
  cls: number;
  anchor_t: number;
  cls_pw: number;
  obj_pw: number;
  fl_gamma: number;
  label_smoothing: number;
}

export interface ComputeLossOptions {
  nc: number;
  /** Anchors in pixels, per level: `[[[10, 13], [16, 30], [33, 23]], …]`. */
  anchors: number[][][];
  /** Strides per level, e.g. `[8, 16, 32]`. */
  strides: number[];
  hyp: YoloLossHyp;
  /** yolov5's autobalance of the objectness level weights (kept on the device; `await balanceValues()` reads them). */
  autobalance?: boolean;
}

export interface ComputeLossResult {
  /** (lbox + lobj + lcls)·bs, the scalar yolov5 returns and backpropagates. */
  loss: tf.Scalar;
  /**
   * [lbox, lobj, lcls], detached. Kept out of any enclosing tf.tidy (so it survives
   * tf.variableGrads): the caller disposes it.
   */
  items: tf.Tensor1D;
}

/** yolov5's `smooth_BCE(eps)`: positive and negative class targets (1 − ε/2, ε/2). */
export function smoothBce(eps = 0.1): { positive: number; negative: number } {
  return { positive: 1 - 0.5 * eps, negative: 0.5 * eps };
}

/**
 * yolov5 v7.0's `ComputeLoss` (utils/loss.py): CIoU box loss, objectness BCE against the
 * (detached, clamped) IoU with gr = 1 and level balance [4.0, 1.0, 0.4], class BCE with
 * smooth_BCE targets, FocalLoss around both BCEs when fl_gamma > 0, and build_targets'
 * anchor_t matching with neighbour cells. Differentiable with respect to the maps.
 */
export class ComputeLoss {
  /** Objectness weight per level (yolov5's `balance`); with autobalance, the starting weights (see balanceValues). */
  balance: number[];
  /**
   * With autobalance, the weights as they stand, on the device: yolov5 reads each level's
   * loss back with .item(), which on webgpu would be a synchronous read from the GPU.
   */
  private balanceOnDevice?: tf.Tensor1D;
  /** The weights the last call multiplied by: its backward pass still needs them. */
  private balanceInUse?: tf.Tensor1D;
  readonly gr = 1.0;
  private readonly anchorsGrid: [number, number][][];
  private readonly ssi: number;

  constructor(private readonly opts: ComputeLossOptions) {
    const nl = opts.strides.length;
    if (opts.anchors.length !== nl) {
      throw new Error(`ComputeLoss: ${opts.anchors.length} anchor levels for ${nl} strides`);
    }
    this.balance = nl === 3 ? [4.0, 1.0, 0.4] : [4.0, 1.0, 0.25, 0.06, 0.02].slice(0, nl);
    this.ssi = opts.autobalance ? opts.strides.indexOf(16) : 0;
    this.anchorsGrid = opts.anchors.map((level, i) =>
      level.map(([w, h]) => [Math.fround(w / opts.strides[i]), Math.fround(h / opts.strides[i])] as [number, number]),
    );
  }

  /**
   * @param preds the three training-mode maps `[bs, na, ny, nx, nc + 5]`
   * @param targets label rows `[nt, 6]`: image index, class, x, y, w, h (normalised)
   */
  call(preds: tf.Tensor[], targets: tf.Tensor | ArrayLike<number>[]): ComputeLossResult {
    const { hyp, nc } = this.opts;
    if (preds.length !== this.anchorsGrid.length) {
      throw new Error(`ComputeLoss: expected ${this.anchorsGrid.length} prediction maps, got ${preds.length}`);
    }
    const { rows, count } = labelRows(targets);
    const balance = this.levelWeights();
    const { positive, negative } = smoothBce(hyp.label_smoothing ?? 0);
    const levelBce = (logits: tf.Tensor, target: tf.Tensor | number, posWeight: number): tf.Tensor =>
      tf.mean(
        hyp.fl_gamma > 0
          ? focalLossElementwise(logits, target, posWeight, hyp.fl_gamma)
          : bceWithLogitsElementwise(logits, target, posWeight),
      );

    const parts = tf.tidy(() => {
      let lbox: tf.Tensor = tf.scalar(0);
      let lobj: tf.Tensor = tf.scalar(0);
      let lcls: tf.Tensor = tf.scalar(0);
      const objPerLevel: tf.Tensor[] = [];
      preds.forEach((pi, i) => {
        const [bs, na, ny, nx, no] = pi.shape as [number, number, number, number, number];
        if (no !== nc + 5) throw new Error(`ComputeLoss: map ${i} has ${no} channels, expected nc + 5 = ${nc + 5}`);
        const level = buildLevelTargets(rows, count, this.anchorsGrid[i], [ny, nx], hyp.anchor_t);
        const n = level.image.length;
        let tobj: tf.Tensor = tf.zeros([bs, na, ny, nx]);
        if (n > 0) {
          const cells = level.image.map((b, k) => ((b * na + level.anchor[k]) * ny + level.gridY[k]) * nx + level.gridX[k]);
          const ps = tf.gather(tf.reshape(pi, [-1, no]), tf.tensor1d(cells, "int32"));
          const pxy = tf.sub(tf.mul(tf.sigmoid(tf.slice(ps, [0, 0], [n, 2])), 2), 0.5);
          const pwh = tf.mul(tf.square(tf.mul(tf.sigmoid(tf.slice(ps, [0, 2], [n, 2])), 2)), tf.tensor2d(level.anchorWh, [n, 2]));
          const iou = bboxCiou(tf.concat([pxy, pwh], 1) as tf.Tensor2D, tf.tensor2d(level.box, [n, 4]));
          lbox = tf.add(lbox, tf.mean(tf.sub(1, iou)));
          tobj = objectnessTarget(iou, cells, [bs, na, ny, nx], this.gr);
          if (nc > 1) {
            const classTarget = classTargets(level, nc, positive, negative);
            lcls = tf.add(lcls, levelBce(tf.slice(ps, [0, 5], [n, nc]), classTarget, hyp.cls_pw));
          }
        }
        const objLogits = tf.reshape(tf.slice(pi, [0, 0, 0, 0, 4], [bs, na, ny, nx, 1]), [bs, na, ny, nx]);
        const obji = levelBce(objLogits, tobj, hyp.obj_pw);
        objPerLevel.push(obji);
        lobj = tf.add(lobj, tf.mul(obji, balance ? tf.slice(balance, [i], [1]).reshape([]) : this.balance[i]));
      });
      if (this.opts.autobalance) this.updateBalance(objPerLevel);
      return {
        lbox: tf.mul(lbox, hyp.box) as tf.Scalar,
        lobj: tf.mul(lobj, hyp.obj) as tf.Scalar,
        lcls: tf.mul(lcls, hyp.cls) as tf.Scalar,
      };
    });

    const bs = preds[0].shape[0];
    const loss = tf.tidy(() => tf.mul(tf.addN([parts.lbox, parts.lobj, parts.lcls]), bs) as tf.Scalar);
    const items = tf.keep(tf.tidy(() => detach(tf.stack([parts.lbox, parts.lobj, parts.lcls]) as tf.Tensor1D)));
    tf.dispose([parts.lbox, parts.lobj, parts.lcls]);
    return { loss, items };
  }

  /** The autobalance weights on the device for this call (none without autobalance). */
  private levelWeights(): tf.Tensor1D | undefined {
    if (!this.opts.autobalance) return undefined;
    this.balanceInUse?.dispose(); // the previous call's backward pass is over
    this.balanceInUse = this.balanceOnDevice ?? tf.keep(tf.tensor1d(this.balance)); // outlives the caller's tidy
    this.balanceOnDevice = undefined;
    return this.balanceInUse;
  }

  /** yolov5: balance[i] = balance[i] * 0.9999 + 0.0001 / lobj_i.item(), then / balance[ssi]; on the device. */
  private updateBalance(objPerLevel: tf.Tensor[]): void {
    const inUse = this.balanceInUse!;
    this.balanceOnDevice = tf.keep(
      tf.tidy(() => {
        const losses = detach(tf.stack(objPerLevel) as tf.Tensor1D);
        const next = tf.add(tf.mul(inUse, 0.9999), tf.div(0.0001, losses));
        return tf.div(next, tf.slice(next, [this.ssi], [1])) as tf.Tensor1D;
      }),
    );
  }

  /** The objectness weights the next call uses (read asynchronously). */
  async balanceValues(): Promise<number[]> {
    const current = this.balanceOnDevice ?? this.balanceInUse;
    return current ? Array.from(await current.data()) : [...this.balance];
  }

  /** Frees the autobalance weights kept on the device. */
  dispose(): void {
    tf.dispose([this.balanceOnDevice, this.balanceInUse].filter((t): t is tf.Tensor1D => !!t));
    this.balanceOnDevice = this.balanceInUse = undefined;
  }
}

/** One-off `ComputeLoss(...)(preds, targets)`; use the class to keep autobalance state. */
export function computeLoss(preds: tf.Tensor[], targets: tf.Tensor | ArrayLike<number>[], opts: ComputeLossOptions): ComputeLossResult {
  return new ComputeLoss(opts).call(preds, targets);
}

function labelRows(targets: tf.Tensor | ArrayLike<number>[]): { rows: ArrayLike<number>; count: number } {
  if (targets instanceof tf.Tensor) {
    if (targets.size === 0) return { rows: new Float32Array(0), count: 0 };
    if (targets.rank !== 2 || targets.shape[1] !== 6) {
      throw new Error(`ComputeLoss: targets must be [nt, 6] (image, class, x, y, w, h); got [${targets.shape.join(", ")}]`);
    }
    const rows = hostValues(
      targets,
      "ComputeLoss: the targets",
      "Make them with tf.tensor2d(rows, [nt, 6]) just before the loss (as the DataLoader does), or pass the rows as arrays.",
    );
    return { rows, count: targets.shape[0] };
  }
  const flat = new Float32Array(targets.length * 6);
  targets.forEach((row, r) => {
    if (row.length !== 6) throw new Error(`ComputeLoss: target row ${r} has ${row.length} values, expected 6`);
    for (let c = 0; c < 6; c++) flat[r * 6 + c] = row[c];
  });
  return { rows: flat, count: targets.length };
}

/**
 * tobj[b, a, gj, gi] = iou.detach().clamp(0) (gr = 1), as a constant. Where build_targets
 * assigns a cell twice the last assignment wins, as in yolov5's indexed write.
 */
function objectnessTarget(iou: tf.Tensor, cells: number[], shape: number[], gr: number): tf.Tensor {
  const lastWriter = new Map<number, number>();
  cells.forEach((cell, k) => lastWriter.set(cell, k));
  const keep = [...lastWriter.values()];
  const size = shape.reduce((a, b) => a * b, 1);
  return computeDetached((v) => {
    let score = tf.relu(v);
    if (gr < 1) score = tf.add(1 - gr, tf.mul(gr, score));
    const updates = tf.gather(score, tf.tensor1d(keep, "int32"));
    const indices = tf.tensor2d(
      keep.map((k) => cells[k]),
      [keep.length, 1],
      "int32",
    );
    return tf.reshape(tf.scatterND(indices, updates, [size]), shape);
  }, iou);
}

/** Class targets: cn everywhere, cp at each assignment's class. */
function classTargets(level: LevelTargets, nc: number, positive: number, negative: number): tf.Tensor {
  const n = level.classId.length;
  const t = new Float32Array(n * nc).fill(negative);
  level.classId.forEach((c, k) => {
    t[k * nc + c] = positive;
  });
  return tf.tensor2d(t, [n, nc]);
}

/**
 * yolov5's FocalLoss around BCE-with-logits, elementwise:
 * bce · (y·α + (1−y)(1−α)) · (1 − p_t)^γ with p_t = y·σ(x) + (1−y)(1−σ(x)), α = 0.25.
 */
export function focalLossElementwise(
  logits: tf.Tensor,
  target: tf.Tensor | number,
  posWeight: number,
  gamma: number,
  alpha = 0.25,
): tf.Tensor {
  return tf.tidy(() => {
    const y = typeof target === "number" ? tf.scalar(target) : target;
    const bce = bceWithLogitsElementwise(logits, y, posWeight);
    const p = tf.sigmoid(logits);
    const pT = tf.add(tf.mul(y, p), tf.mul(tf.sub(1, y), tf.sub(1, p)));
    const alphaFactor = tf.add(tf.mul(y, alpha), tf.mul(tf.sub(1, y), 1 - alpha));
    const modulating = tf.pow(tf.sub(1, pT), gamma);
    return tf.mul(bce, tf.mul(alphaFactor, modulating));
  });
}
