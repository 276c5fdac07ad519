import * as tf from "@tensorflow/tfjs";
import { bceWithLogitsElementwise } from "./bce";
import { pythonError } from "./errors";

export interface MultiLabelLossOptions {
  /** Label smoothing ε: y ← (1-ε)·y + ε/C; ignored unless 0 < ε < 1 (as PaddleClas). */
  epsilon?: number;
  /** Target is `[B, 2, C]`: labels, then each class's positive ratio r; weight e^(y(1-r)+(1-y)r). */
  weightRatio?: boolean;
  /** Sum over classes per sample, then mean over the batch (else mean over all elements). */
  sizeSum?: boolean;
  /**
   * "fixed" (default): PaddleClas after PR #3226, which takes `target[:, 0, :]` only for
   * 3-D targets. "2.5.2": the release with PR #2973's bug, which indexes `target[:, 0, :]`
   * even on a plain multi-hot `[B, C]` target and fails there with Paddle's error.
   */
  version?: "fixed" | "2.5.2";
}

/**
 * PaddleClas `MultiLabelLoss` (ppcls/loss/multilabelloss.py) on logits `[B, C]`.
 * Targets: multi-hot `[B, C]`, `[B, 1, C]`, or `[B, 2, C]` with `weightRatio`.
 *
 * As in PaddleClas, the weight-ratio weights are computed from the binarised label
 * (y > 0.5), so its "labels > 1 get weight 0" clause never fires: a label of 2 is a
 * positive. Entries whose (smoothed) label is <= -1 get weight 0, i.e. are ignored.
 */
export function multiLabelLoss(logits: tf.Tensor, target: tf.Tensor, options: MultiLabelLossOptions = {}): tf.Tensor {
  const epsilon = options.epsilon !== undefined && options.epsilon > 0 && options.epsilon < 1 ? options.epsilon : undefined;
  const version = options.version ?? "fixed";
  if (logits.rank !== 2) {
    throw new Error(`multiLabelLoss expects logits [B, C]; got shape [${logits.shape.join(", ")}]`);
  }
  const numClasses = logits.shape[1] as number;

  if ((options.weightRatio || version === "2.5.2") && target.rank < 3) {
    // Paddle's basic indexing check (PADDLE_ENFORCE with errors::InvalidArgument in
    // paddle/fluid/pybind/slice_utils.h), which paddle/fluid/pybind/exception.cc turns
    // into a Python ValueError (INVALID_ARGUMENT -> PyExc_ValueError).
    throw pythonError("ValueError", `Too many indices (3) for tensor of dimension ${target.rank}.`);
  }

  return tf.tidy(() => {
    let labels: tf.Tensor;
    let ratio: tf.Tensor | undefined;
    if (options.weightRatio) {
      labels = selectRow(target, 0);
      ratio = selectRow(target, 1);
    } else if (target.rank === 3) {
      labels = selectRow(target, 0);
    } else {
      labels = target;
    }
    labels = tf.cast(labels, "float32");
    if (epsilon !== undefined) labels = tf.add(tf.mul(labels, 1 - epsilon), epsilon / numClasses);

    let cost = bceWithLogitsElementwise(logits, labels);
    if (ratio) {
      const positive = tf.cast(tf.greater(labels, 0.5), "float32");
      const weight = tf.exp(tf.add(tf.mul(positive, tf.sub(1, ratio)), tf.mul(tf.sub(1, positive), ratio)));
      const notIgnored = tf.cast(tf.greater(labels, -1), "float32");
      cost = tf.mul(cost, tf.mul(weight, notIgnored));
    }
    return options.sizeSum ? tf.mean(tf.sum(cost, 1)) : tf.mean(cost);
  });
}

/** `target[:, row, :]` of a `[B, R, C]` tensor. */
function selectRow(target: tf.Tensor, row: number): tf.Tensor {
  const [batch, , numClasses] = target.shape as [number, number, number];
  return tf.reshape(tf.slice(target, [0, row, 0], [batch, 1, numClasses]), [batch, numClasses]);
}
