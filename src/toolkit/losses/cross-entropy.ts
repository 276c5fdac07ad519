import * as tf from "@tensorflow/tfjs";
import { pythonError, torchDtypeName } from "./errors";
import { hostValues } from "../../tfjs/webgpu/host-values";

export type Reduction = "mean" | "sum" | "none";

export interface CrossEntropyOptions {
  /** ε: the target becomes (1-ε)·onehot + ε/C (PyTorch's `label_smoothing`). */
  labelSmoothing?: number;
  reduction?: Reduction;
  /** Per-class weights `[C]` (PyTorch's `weight`). */
  weight?: tf.Tensor | number[];
  /** Class id whose rows are skipped (PyTorch's `ignore_index`, default -100). */
  ignoreIndex?: number;
}

/**
 * PyTorch's `F.cross_entropy(logits, target, ...)` for logits `[B, C]`.
 *
 * The target is either class ids (int32 `[B]`, the counterpart of torch's Long) or
 * class probabilities (float `[B, C]`, same shape as the logits). As in PyTorch, a
 * target with the logits' exact shape is read as probabilities and anything else as
 * class ids, so a `[64, C]` soft target against `[32, C]` logits, or a flattened
 * one-hot `[2B]`, fails in the class-id path with PyTorch's batch-size ValueError.
 * The checks run in PyTorch's order and raise its exception names and texts.
 * Class ids are read back from the device to check their range, as PyTorch does on CPU.
 */
export function crossEntropy(logits: tf.Tensor, target: tf.Tensor, options: CrossEntropyOptions = {}): tf.Tensor {
  const reduction = options.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw pythonError("ValueError", `${String(reduction)} is not a valid value for reduction`);
  }
  if (logits.rank !== 2) {
    throw new Error(`crossEntropy expects logits [B, C]; got shape [${logits.shape.join(", ")}]`);
  }
  const labelSmoothing = options.labelSmoothing ?? 0;
  const ignoreIndex = options.ignoreIndex ?? -100;
  const numClasses = logits.shape[1] as number;
  const sameShape = target.rank === logits.rank && target.shape.every((d, i) => d === logits.shape[i]);

  if (sameShape) {
    if (target.dtype !== "float32") {
      throw pythonError(
        "RuntimeError",
        `Expected floating point type for target with class probabilities, got ${torchDtypeName(target.dtype)}`,
      );
    }
    const weight = classWeights(options.weight, numClasses, "cross_entropy: ");
    checkSmoothingRange(labelSmoothing);
    return probabilityTargetLoss(logits, target, weight, labelSmoothing, reduction);
  }

  if (labelSmoothing > 0) checkSmoothingRange(labelSmoothing);
  // nll_loss_nd and nll_loss's own checks, in their order
  if (target.rank > 0 && logits.shape[0] !== target.shape[0]) {
    throw pythonError("ValueError", `Expected input batch_size (${logits.shape[0]}) to match target batch_size (${target.shape[0]}).`);
  }
  if (target.rank > 1) {
    throw pythonError("RuntimeError", "0D or 1D target tensor expected, multi-target not supported");
  }
  const weight = classWeights(options.weight, numClasses, "");
  if (target.dtype !== "int32") {
    throw pythonError("RuntimeError", `expected scalar type Long but found ${torchDtypeName(target.dtype)}`);
  }
  const ids = hostValues(
    target,
    "crossEntropy: the class ids",
    'Make them with tf.tensor1d(ids, "int32") just before the loss (as the DataLoader does).',
  );
  for (const id of ids) {
    if (id !== ignoreIndex && (id < 0 || id >= numClasses)) {
      throw pythonError("IndexError", `Target ${id} is out of bounds.`);
    }
  }
  return classIdTargetLoss(logits, ids, weight, labelSmoothing, ignoreIndex, reduction);
}

function checkSmoothingRange(labelSmoothing: number): void {
  // PyTorch only checks the upper bound (a negative value is accepted)
  if (labelSmoothing > 1) {
    throw pythonError("RuntimeError", `label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  }
}

function classWeights(weight: tf.Tensor | number[] | undefined, numClasses: number, prefix: string): Float32Array | undefined {
  if (weight === undefined) return undefined;
  const values = Array.isArray(weight)
    ? Float32Array.from(weight)
    : (hostValues(weight, `crossEntropy: the ${prefix}class weights`, "Pass them as a number[].") as Float32Array);
  const shape = Array.isArray(weight) ? [weight.length] : weight.shape;
  if (shape.length !== 1 || shape[0] !== numClasses) {
    throw pythonError(
      "RuntimeError",
      `${prefix}weight tensor should be defined either for all ${numClasses} classes or no classes but got weight tensor of shape: [${shape.join(", ")}]`,
    );
  }
  return Float32Array.from(values);
}

/** −Σ_c t̃_c·w_c·log p_c per row, t̃ = t(1-ε)+ε/C; the mean divides by B. */
function probabilityTargetLoss(
  logits: tf.Tensor,
  target: tf.Tensor,
  weight: Float32Array | undefined,
  eps: number,
  reduction: Reduction,
): tf.Tensor {
  return tf.tidy(() => {
    const numClasses = logits.shape[1] as number;
    const smoothed = eps > 0 ? tf.add(tf.mul(target, 1 - eps), eps / numClasses) : target;
    let logP = tf.logSoftmax(logits);
    if (weight) logP = tf.mul(logP, tf.tensor1d(weight));
    const perRow = tf.neg(tf.sum(tf.mul(logP, smoothed), 1));
    if (reduction === "none") return perRow;
    const total = tf.sum(perRow);
    return reduction === "sum" ? total : tf.div(total, logits.shape[0] as number);
  });
}

/**
 * (1-ε)·NLL + (ε/C)·(−Σ_c w_c·log p_c), PyTorch's cross_entropy_loss_label_smoothing.
 * Both means divide by the summed weights of the rows not ignored (by their count
 * without class weights), as PyTorch does.
 */
function classIdTargetLoss(
  logits: tf.Tensor,
  ids: ArrayLike<number>,
  weight: Float32Array | undefined,
  eps: number,
  ignoreIndex: number,
  reduction: Reduction,
): tf.Tensor {
  const [batch, numClasses] = logits.shape as [number, number];
  const oneHot = new Float32Array(batch * numClasses);
  const rowWeight = new Float32Array(batch);
  const kept = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    const id = ids[i];
    if (id === ignoreIndex) continue;
    oneHot[i * numClasses + id] = 1;
    rowWeight[i] = weight ? weight[id] : 1;
    kept[i] = 1;
  }
  const weightSum = rowWeight.reduce((a, b) => a + b, 0);
  return tf.tidy(() => {
    const logP = tf.logSoftmax(logits);
    const nll = tf.mul(tf.neg(tf.sum(tf.mul(logP, tf.tensor2d(oneHot, [batch, numClasses])), 1)), tf.tensor1d(rowWeight));
    const nllReduced = reduction === "none" ? nll : reduction === "sum" ? tf.sum(nll) : tf.div(tf.sum(nll), weightSum);
    if (!(eps > 0)) return nllReduced;

    const weighted = weight ? tf.mul(logP, tf.tensor1d(weight)) : logP;
    const smooth = tf.mul(tf.neg(tf.sum(weighted, 1)), tf.tensor1d(kept));
    const smoothReduced = reduction === "none" ? smooth : reduction === "sum" ? tf.sum(smooth) : tf.div(tf.sum(smooth), weightSum);
    return tf.add(tf.mul(nllReduced, 1 - eps), tf.mul(smoothReduced, eps / numClasses));
  });
}
