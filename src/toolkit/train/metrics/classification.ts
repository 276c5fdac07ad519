import * as tf from "@tensorflow/tfjs";

/**
 * Top-k accuracy as YOLOv5's classify/val.py: a sample counts for top-k when its label is
 * among the k highest logits. `logits` [B, C], `labels` [B] integer class ids.
 */
export async function topkAccuracy(
  logits: tf.Tensor,
  labels: tf.Tensor | ArrayLike<number>,
  ks: number[] = [1, 5],
): Promise<Record<string, number>> {
  const [b, c] = logits.shape;
  const y = labels instanceof tf.Tensor ? await labels.data() : labels;
  if (y.length !== b) throw new Error(`topkAccuracy: ${b} predictions but ${y.length} labels`);
  const kmax = Math.min(Math.max(...ks), c);
  const { indices } = tf.topk(logits, kmax);
  const idx = await indices.data();
  indices.dispose();
  const out: Record<string, number> = {};
  for (const k of ks) {
    const kk = Math.min(k, c);
    let hit = 0;
    for (let i = 0; i < b; i++)
      for (let j = 0; j < kk; j++)
        if (idx[i * kmax + j] === y[i]) {
          hit++;
          break;
        }
    out[`top${k}`] = b ? hit / b : 0;
  }
  return out;
}
