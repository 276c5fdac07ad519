import * as tf from "@tensorflow/tfjs";

/**
 * Elementwise binary cross-entropy on logits, PyTorch's
 * `binary_cross_entropy_with_logits(x, y, pos_weight, reduction="none")`:
 * (1 - y)·x + (1 + (pw - 1)·y)·log(1 + e^-x), written with softplus for stability.
 */
export function bceWithLogitsElementwise(logits: tf.Tensor, target: tf.Tensor | number, posWeight = 1): tf.Tensor {
  return tf.tidy(() => {
    const y = typeof target === "number" ? tf.scalar(target) : target;
    const logSigmoidNeg = tf.softplus(tf.neg(logits)); // -log σ(x)
    const scale = posWeight === 1 ? tf.onesLike(y) : tf.add(1, tf.mul(posWeight - 1, y));
    return tf.add(tf.mul(tf.sub(1, y), logits), tf.mul(scale, logSigmoidNeg));
  });
}

/**
 * Elementwise binary cross-entropy on probabilities, PyTorch's
 * `binary_cross_entropy(p, y, reduction="none")`, including its clamp of log at -100.
 */
export function bceOnProbabilitiesElementwise(p: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const logP = tf.maximum(tf.log(p), -100);
    const log1mP = tf.maximum(tf.log(tf.sub(1, p)), -100);
    return tf.neg(tf.add(tf.mul(y, logP), tf.mul(tf.sub(1, y), log1mP)));
  });
}
