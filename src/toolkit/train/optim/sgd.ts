import * as tf from "@tensorflow/tfjs";
import { Optimizer, type ParamGroup } from "./optimizer";

/**
 * torch.optim.SGD semantics: d = g + wd·p; buf = μ·buf + (1 − dampening)·d (buf = d on the
 * first step); with nesterov d = d + μ·buf, else d = buf; p −= lr·d.
 */
export class SGD extends Optimizer {
  readonly type = "SGD";
  constructor(
    groups: ParamGroup[],
    readonly opts: { nesterov?: boolean; dampening?: number } = {},
  ) {
    super(groups);
    if (opts.nesterov && (opts.dampening ?? 0) !== 0) throw new Error("Nesterov momentum requires a momentum and zero dampening");
  }

  protected updateParam(p: tf.Variable, g: tf.Tensor, group: ParamGroup): void {
    let d = group.weightDecay !== 0 ? tf.add(g, tf.mul(p, group.weightDecay)) : g;
    if (group.momentum !== 0) {
      const first = !this.hasSlot("momentum_buffer", p);
      const buf = this.slot("momentum_buffer", p);
      const next = first ? d : tf.add(tf.mul(buf, group.momentum), tf.mul(d, 1 - (this.opts.dampening ?? 0)));
      buf.assign(next);
      d = this.opts.nesterov ? tf.add(d, tf.mul(next, group.momentum)) : next;
    }
    p.assign(tf.sub(p, tf.mul(d, group.lr)));
  }
}
