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

/**
 * torch.nn.utils.clip_grad_norm_: scales all gradients so their global L2 norm is at most
 * maxNorm. As torch does, the scale min(1, maxNorm / (norm + 1e-6)) is computed and applied
 * on the device, so nothing waits for it (a synchronous read would stall a GPU step, and
 * webgpu cannot do one under Node). Resolves to the norm; awaiting it is optional.
 */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Promise<number> {
  const names = Object.keys(grads);
  if (!names.length) return Promise.resolve(0);
  const total = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))));
  const coef = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1));
  for (const n of names) {
    const scaled = tf.mul(grads[n], coef);
    grads[n].dispose();
    grads[n] = scaled;
  }
  coef.dispose();
  const norm = total
    .data()
    .then((v) => v[0])
    .finally(() => total.dispose());
  norm.catch(() => {}); // a caller that does not await it must not see an unhandled rejection
  return norm;
}
