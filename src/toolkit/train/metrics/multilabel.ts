import * as tf from "@tensorflow/tfjs";

export interface MultiLabelScores {
  /** Fraction of samples whose whole predicted label set is right (sklearn accuracy_score; PaddleClas AccuracyScore base="sample"). */
  exactMatch: number;
  /** Fraction of right (sample, class) decisions (PaddleClas AccuracyScore, default base="label"). */
  accuracy: number;
  /** Fraction of wrong (sample, class) decisions (sklearn hamming_loss; PaddleClas HammingDistance). */
  hammingDistance: number;
}

/**
 * PaddleClas's multi-label metrics (ppcls/metric/metrics.py): predictions are
 * sigmoid(logits) > threshold (sklearn binarize, threshold 0.5), compared with multi-hot
 * targets [B, C].
 */
export async function multiLabelScores(logits: tf.Tensor, target: tf.Tensor, threshold = 0.5): Promise<MultiLabelScores> {
  if (logits.shape.join() !== target.shape.join())
    throw new Error(`multiLabelScores: logits ${JSON.stringify(logits.shape)} and target ${JSON.stringify(target.shape)} differ`);
  const [b, c] = logits.shape;
  const probs = tf.sigmoid(logits);
  const [p, t] = await Promise.all([probs.data(), target.data()]);
  probs.dispose();
  let right = 0,
    exact = 0;
  for (let i = 0; i < b; i++) {
    let all = true;
    for (let j = 0; j < c; j++) {
      const ok = (p[i * c + j] > threshold ? 1 : 0) === (t[i * c + j] > 0.5 ? 1 : 0);
      if (ok) right++;
      else all = false;
    }
    if (all) exact++;
  }
  const n = b * c;
  return { exactMatch: b ? exact / b : 0, accuracy: n ? right / n : 0, hammingDistance: n ? 1 - right / n : 0 };
}
