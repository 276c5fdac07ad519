import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { YOLOv5 } from "../nn/yolo";

export interface ModelEMAOptions {
  /** Largest decay, reached after a few `tau` updates (YOLOv5: 0.9999). */
  decay?: number;
  /** Updates over which the decay ramps up from 0 (YOLOv5: 2000). */
  tau?: number;
  /** Updates already made (a resumed run's count). */
  updates?: number;
  /**
   * A fresh model of the same architecture to average into (its weights are overwritten).
   * Needed for anything but a YOLOv5, which is rebuilt from its yaml.
   */
  copy?: () => Module;
}

/**
 * YOLOv5's ModelEMA (utils/torch_utils.py): an exponential moving average of the model's
 * float parameters and buffers, `ema = d * ema + (1 - d) * model` after each optimizer step,
 * with `d = decay * (1 - exp(-updates / tau))` so early updates follow the model closely.
 * `ema.ema` is the model train.py validates and saves. It is in eval mode and never trained.
 */
export class ModelEMA {
  readonly ema: Module;
  updates: number;
  readonly decayMax: number;
  readonly tau: number;
  /** The float parameters and buffers, paired with the model's: the ones averaged. */
  private readonly pairs: [ema: tf.Variable, model: tf.Variable][];
  /** The integer buffers: copied, never averaged (YOLOv5: `if v.dtype.is_floating_point`). */
  private readonly integers: [ema: tf.Variable, model: tf.Variable][];

  constructor(model: Module, opts: ModelEMAOptions = {}) {
    this.decayMax = opts.decay ?? 0.9999;
    this.tau = opts.tau ?? 2000;
    this.updates = opts.updates ?? 0;
    this.ema = (opts.copy ?? (() => copyArchitecture(model)))();
    const state = (m: Module) => [...m.namedParameters(), ...m.namedBuffers()];
    const src = new Map(state(model));
    const dst = state(this.ema);
    if (dst.length !== src.size)
      throw new TypeError(
        `ModelEMA: the copy has ${dst.length} parameters and buffers, the model ${src.size}: \`copy\` must build the same architecture`,
      );
    const all = dst.map(([name, e]): [tf.Variable, tf.Variable] => {
      const m = src.get(name);
      if (!m || m.shape.join() !== e.shape.join() || m.dtype !== e.dtype)
        throw new TypeError(
          `ModelEMA: '${name}' is ${m ? `${m.dtype} [${m.shape}] in the model but ${e.dtype} [${e.shape}]` : "missing from the model but present"} in the copy: \`copy\` must build the same architecture`,
        );
      return [e, m];
    });
    this.pairs = all.filter(([e]) => e.dtype === "float32");
    this.integers = all.filter(([e]) => e.dtype !== "float32");
    this.ema.eval();
    this.copyModel();
  }

  /** The decay used by the `updates`-th update. */
  decay(updates: number): number {
    return this.decayMax * (1 - Math.exp(-updates / this.tau));
  }

  /** One update, after an optimizer step: `ema = d * ema + (1 - d) * model`. */
  update(): void {
    this.updates++;
    this.blend(this.decay(this.updates));
  }

  /** A fresh copy of the model's weights, with the update count back at 0. */
  restart(): void {
    this.updates = 0;
    this.copyModel();
  }

  dispose(): void {
    this.ema.dispose();
  }

  /** deepcopy: blending with d = 0 gives every weight a buffer of its own (a clone would share the model's). */
  private copyModel(): void {
    for (const [e, m] of this.integers) assignNew(e, () => tf.add(m, tf.zerosLike(m)));
    this.blend(0);
  }

  private blend(d: number): void {
    for (const [e, m] of this.pairs) assignNew(e, () => tf.add(tf.mul(e, d), tf.mul(m, 1 - d)));
  }
}

/** `v.assign(value())` without leaking the value: assign takes a reference of its own. */
function assignNew(v: tf.Variable, value: () => tf.Tensor): void {
  const next = tf.tidy(value);
  v.assign(next);
  next.dispose();
}

/** A YOLOv5 rebuilt from its own yaml; other modules cannot be rebuilt without being told how. */
function copyArchitecture(model: Module): Module {
  if (model instanceof YOLOv5) {
    const copy = new YOLOv5(model.yaml, { nc: model.nc, inputChannels: model.inputChannels, names: [...model.names] });
    copy.detect.setAnchors(model.detect.anchors); // autoanchor may have changed them
    return copy;
  }
  throw new TypeError(
    `ModelEMA: cannot copy a ${model.constructor.name} by itself: pass { copy: () => new ${model.constructor.name}(...) } building the same architecture`,
  );
}
