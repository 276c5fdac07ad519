import * as tf from "@tensorflow/tfjs";

/** A set of parameters sharing hyper-parameters, as in torch.optim's param_groups. */
export interface ParamGroup {
  name: string;
  params: tf.Variable[];
  /** Parameter names (same order as params), used for checkpoints. */
  paramNames: string[];
  lr: number;
  /** Learning rate the schedule scales (PyTorch's `initial_lr`). */
  initialLr: number;
  weightDecay: number;
  /** SGD momentum, or Adam's beta1 (YOLOv5 passes `betas=(momentum, 0.999)`). */
  momentum: number;
}

/** The saved form of an optimizer: hyper-parameters per group and per-parameter slots. */
export interface OptimizerState {
  type: string;
  stepCount: number;
  groups: { name: string; lr: number; initialLr: number; weightDecay: number; momentum: number; paramNames: string[] }[];
  /** slot name -> parameter name -> tensor (kept by the caller until disposed). */
  slots: Record<string, Record<string, tf.Tensor>>;
}

/**
 * Base for optimizers that update `tf.Variable`s from a gradient map (name -> tensor,
 * as `tf.variableGrads` returns it). Slots (momentum buffers, Adam moments) are
 * variables owned by the optimizer and freed by `dispose()`.
 */
export abstract class Optimizer {
  abstract readonly type: string;
  stepCount = 0;
  protected readonly slots = new Map<string, Map<tf.Variable, tf.Variable>>();

  constructor(readonly paramGroups: ParamGroup[]) {}

  /** Applies one update with `grads` keyed by variable name (`Variable.name`). Does not dispose the grads. */
  step(grads: Record<string, tf.Tensor>): void {
    this.stepCount++;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = grads[p.name];
        if (!g) continue; // no gradient: PyTorch skips params whose .grad is None
        tf.tidy(() => this.updateParam(p, g, group));
      }
    }
  }

  protected abstract updateParam(p: tf.Variable, g: tf.Tensor, group: ParamGroup): void;

  /** The slot `name` of parameter p, created as zeros on first use. */
  protected slot(name: string, p: tf.Variable): tf.Variable {
    let m = this.slots.get(name);
    if (!m) this.slots.set(name, (m = new Map()));
    let v = m.get(p);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      m.set(p, v);
    }
    return v;
  }
  protected hasSlot(name: string, p: tf.Variable): boolean {
    return this.slots.get(name)?.has(p) ?? false;
  }

  getState(): OptimizerState {
    const nameOf = new Map<tf.Variable, string>();
    for (const g of this.paramGroups) g.params.forEach((p, i) => nameOf.set(p, g.paramNames[i]));
    const slots: OptimizerState["slots"] = {};
    for (const [slotName, m] of this.slots) {
      slots[slotName] = {};
      for (const [p, v] of m) slots[slotName][nameOf.get(p) ?? p.name] = v;
    }
    return {
      type: this.type,
      stepCount: this.stepCount,
      groups: this.paramGroups.map(({ name, lr, initialLr, weightDecay, momentum, paramNames }) => ({
        name,
        lr,
        initialLr,
        weightDecay,
        momentum,
        paramNames,
      })),
      slots,
    };
  }

  /** Restores hyper-parameters and slots saved by getState (tensors are copied). */
  setState(state: OptimizerState): void {
    if (state.type !== this.type) throw new Error(`optimizer state is for ${state.type}, this optimizer is ${this.type}`);
    this.stepCount = state.stepCount;
    const byName = new Map<string, tf.Variable>();
    for (const g of this.paramGroups) g.params.forEach((p, i) => byName.set(g.paramNames[i], p));
    state.groups.forEach((s, i) => {
      const g = this.paramGroups[i];
      if (!g) return;
      Object.assign(g, { lr: s.lr, initialLr: s.initialLr, weightDecay: s.weightDecay, momentum: s.momentum });
    });
    for (const [slotName, entries] of Object.entries(state.slots)) {
      for (const [paramName, value] of Object.entries(entries)) {
        const p = byName.get(paramName);
        if (!p) throw new Error(`optimizer state has slot '${slotName}' for unknown parameter '${paramName}'`);
        this.slot(slotName, p).assign(value);
      }
    }
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const v of m.values()) v.dispose();
    this.slots.clear();
  }
}
