import * as tf from "@tensorflow/tfjs";

/**
 * The few TensorFlow.js 4.x engine internals the memory model needs, typed in one place.
 * tfjs exposes no allocation hooks, so the device model wraps these engine methods while
 * a phase is measured, and restores them afterwards.
 */
export interface EngineTensorInfo { bytes: number; dtype: string }
export interface TapeNode { saved?: tf.Tensor[] }
export interface EngineInternals {
  state: {
    tensorInfo: WeakMap<object, EngineTensorInfo>;
    registeredVariables: Record<string, tf.Variable>;
    activeTape: TapeNode[] | null;
    gradientDepth: number;
    kernelDepth: number;
  };
  trackTensor(t: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
  runKernelFunc(params: unknown): unknown;
}

export function engineInternals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/**
 * After an exception escaped a gradient computation, the engine keeps the tape and the
 * tensors saved for the backward pass (tfjs `keep`s them). Dispose them so an aborted or
 * failed step returns all its memory.
 */
export function discardAbandonedTape(): void {
  const state = engineInternals().state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}
