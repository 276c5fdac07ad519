import * as tf from "@tensorflow/tfjs";

/** One row of a model summary: a layer with its place in the tree. */
export interface LayerInfo {
  name: string; // e.g. "model.0.conv"
  type: string; // class name, e.g. "Conv2d", "C3"
  depth: number; // 0 = the model itself
  params: number; // trainable parameters of this layer alone (not its children)
  module: Module;
}

/**
 * The toolkit's building block, in PyTorch's vocabulary (the failures the notebooks
 * reproduce are told in it). Tensors are NHWC, as TensorFlow.js wants.
 * A subclass registers children with `add(name, module)` and parameters with
 * `param(name, tensor)` / `buffer(name, tensor)` in its constructor.
 */
export abstract class Module {
  training = true;
  private readonly childModules = new Map<string, Module>();
  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();

  abstract forward(x: tf.Tensor | tf.Tensor[], ...rest: unknown[]): unknown;

  protected add<M extends Module>(name: string, module: M): M {
    this.childModules.set(name, module);
    return module;
  }
  protected param(name: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, true, undefined);
    value.dispose();
    this.params.set(name, v);
    return v;
  }
  protected buffer(name: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, false);
    value.dispose();
    this.buffers.set(name, v);
    return v;
  }

  children(): [string, Module][] {
    return [...this.childModules.entries()];
  }
  /** Every module below this one, depth first, with dotted names as PyTorch prints them. */
  namedModules(prefix = "", depth = 0): [string, Module, number][] {
    const out: [string, Module, number][] = [[prefix, this, depth]];
    for (const [n, m] of this.childModules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n, depth + 1));
    return out;
  }
  namedParameters(prefix = ""): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [n, p] of this.params) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, m] of this.childModules) out.push(...m.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  namedBuffers(prefix = ""): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [n, p] of this.buffers) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, m] of this.childModules) out.push(...m.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }
  /** Trainable parameters, counted as PyTorch counts them. */
  numParams(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }
  /** Layer list for summaries. */
  layers(): LayerInfo[] {
    return this.namedModules().map(([name, module, depth]) => ({
      name,
      type: module.constructor.name,
      depth,
      module,
      params: [...module.params.values()].reduce((s, p) => s + p.size, 0),
    }));
  }
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, p] of this.namedParameters()) p.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}
