// %timeit runs a statement thousands of times; each run's tensors must not pile up (Python
// frees a loop's temporaries as it goes; TensorFlow.js frees nothing on its own). Each loop
// runs in a TensorFlow.js scope that disposes what the loop made, except the tensors the
// user's variables hold afterwards (`%timeit y = f(x)` leaves y usable, as in IPython).
import * as tf from "@tensorflow/tfjs";
import type { Namespace } from "../engine/namespace";
import { activeScopeTensorCount } from "../tfjs/internals";

/** Tensors held by the namespace's variables, or by arrays and plain objects in them (one level). */
function heldByVariables(namespace: Namespace): tf.Tensor[] {
  const held: tf.Tensor[] = [];
  const take = (v: unknown, depth: number) => {
    if (v instanceof tf.Tensor) held.push(v);
    else if (depth > 0 && Array.isArray(v)) for (const x of v) take(x, depth - 1);
    else if (depth > 0 && v && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) take(x, depth - 1);
  };
  // Data properties only: the preloaded names (tf, lab, ...) are lazy getters, not read here.
  for (const d of Object.values(Object.getOwnPropertyDescriptors(namespace))) if ("value" in d) take(d.value, 1);
  return held;
}

export class LoopTensors {
  /** Unknown until the first loop: a statement that makes no tensors runs without scopes (they cost ~1 µs a loop). */
  private makesTensors: boolean | undefined;

  constructor(private readonly namespace: Namespace) {}

  private begin(): boolean {
    if (this.makesTensors === false) return false;
    tf.engine().startScope("%timeit loop");
    return true;
  }

  private end(): void {
    const made = activeScopeTensorCount();
    this.makesTensors ??= made > 0;
    tf.engine().endScope(made ? heldByVariables(this.namespace) : undefined);
  }

  run(fn: () => unknown): void {
    if (!this.begin()) {
      fn();
      return;
    }
    try {
      fn();
    } finally {
      this.end();
    }
  }

  async runAsync(fn: () => unknown): Promise<void> {
    if (!this.begin()) {
      await fn();
      return;
    }
    try {
      await fn();
    } finally {
      this.end();
    }
  }
}
