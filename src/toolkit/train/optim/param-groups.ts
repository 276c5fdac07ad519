import type * as tf from "@tensorflow/tfjs";
import type { ParamGroup } from "./optimizer";

/** Which of YOLOv5's three groups a parameter belongs to (smart_optimizer). */
export type ParamKind = "bias" | "decay" | "noDecay";

/**
 * Default classification from the parameter's dotted name and rank, standing in for YOLOv5's
 * module-type test: a rank-1 parameter named `*bias` -> bias (no decay); any other rank-1
 * parameter (BatchNorm gamma/beta-like weights) -> no decay; rank > 1 (conv/linear weights) -> decay.
 */
export function defaultParamKind(name: string, p: tf.Variable): ParamKind {
  if (p.rank <= 1) return /(^|\.)bias$/.test(name) ? "bias" : "noDecay";
  return "decay";
}

export interface GroupOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  classify?: (name: string, p: tf.Variable) => ParamKind;
}

/**
 * YOLOv5's parameter groups, in its order: 0 biases (no decay), 1 weights with decay,
 * 2 BatchNorm weights (no decay). Group 0 is the one warm-up starts at `warmup_bias_lr`.
 * Empty groups are kept so indices stay stable.
 */
export function yoloParamGroups(named: [string, tf.Variable][], o: GroupOptions): ParamGroup[] {
  const classify = o.classify ?? defaultParamKind;
  const make = (name: string, weightDecay: number): ParamGroup => ({
    name,
    params: [],
    paramNames: [],
    lr: o.lr,
    initialLr: o.lr,
    weightDecay,
    momentum: o.momentum,
  });
  const groups = { bias: make("bias", 0), decay: make("weight", o.weightDecay), noDecay: make("bn", 0) };
  for (const [name, p] of named) {
    if (!p.trainable) continue;
    const g = groups[classify(name, p)];
    g.params.push(p);
    g.paramNames.push(name);
  }
  return [groups.bias, groups.decay, groups.noDecay];
}
