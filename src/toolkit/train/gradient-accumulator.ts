import * as tf from "@tensorflow/tfjs";

/**
 * Sums gradients over micro-batches (PyTorch's `.grad +=` between optimizer steps), keeping
 * the sums alive across tf.tidy scopes. `take()` hands the sums over and starts again.
 */
export class GradientAccumulator {
  private sums: Record<string, tf.Tensor> = {};
  private count = 0;

  /** Adds `grads` (name -> tensor); the caller's tensors are disposed. */
  add(grads: Record<string, tf.Tensor>): void {
    for (const [name, g] of Object.entries(grads)) {
      const prev = this.sums[name];
      if (prev) {
        this.sums[name] = tf.keep(tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else {
        this.sums[name] = tf.keep(g);
      }
    }
    this.count++;
  }

  /** Micro-batches summed since the last take/clear. */
  get size(): number {
    return this.count;
  }

  /** Returns the sums; the caller disposes them. */
  take(): Record<string, tf.Tensor> {
    const out = this.sums;
    this.sums = {};
    this.count = 0;
    return out;
  }

  clear(): void {
    for (const g of Object.values(this.sums)) g.dispose();
    this.sums = {};
    this.count = 0;
  }
}

/** torch.nn.utils.clip_grad_norm_: scales all gradients so their global L2 norm is at most maxNorm. Returns the norm. */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): number {
  const names = Object.keys(grads);
  if (!names.length) return 0;
  const total = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0]);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const n of names) {
      const scaled = tf.mul(grads[n], coef);
      grads[n].dispose();
      grads[n] = scaled;
    }
  }
  return total;
}
