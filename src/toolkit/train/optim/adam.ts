import * as tf from "@tensorflow/tfjs";
import { Optimizer, type ParamGroup } from "./optimizer";

/**
 * torch.optim.Adam semantics (AdamW with `decoupled`): g += wd·p (Adam) or p *= 1 − lr·wd (AdamW);
 * m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * p −= lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps).
 * β1 is the group's `momentum` so YOLOv5's warm-up can drive it like SGD's momentum.
 */
export class Adam extends Optimizer {
  readonly type: string;
  constructor(
    groups: ParamGroup[],
    readonly opts: { beta2?: number; eps?: number; decoupled?: boolean } = {},
  ) {
    super(groups);
    this.type = opts.decoupled ? "AdamW" : "Adam";
  }

  protected updateParam(p: tf.Variable, g: tf.Tensor, group: ParamGroup): void {
    const beta1 = group.momentum,
      beta2 = this.opts.beta2 ?? 0.999,
      eps = this.opts.eps ?? 1e-8;
    const t = this.stepCount;
    let grad = g;
    let param: tf.Tensor = p;
    if (group.weightDecay !== 0) {
      if (this.opts.decoupled) param = tf.mul(p, 1 - group.lr * group.weightDecay);
      else grad = tf.add(g, tf.mul(p, group.weightDecay));
    }
    const m = this.slot("exp_avg", p),
      v = this.slot("exp_avg_sq", p);
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
    const bc1 = 1 - beta1 ** t,
      bc2 = 1 - beta2 ** t;
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
    p.assign(tf.sub(param, tf.mul(tf.div(m, denom), group.lr / bc1)));
  }
}
