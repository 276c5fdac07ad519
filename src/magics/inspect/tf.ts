// TensorFlow.js and its engine internals, loaded on first use so that importing the magics
// (at kernel start) does not load TensorFlow.js.
import type * as tfTypes from "@tensorflow/tfjs";

export type TF = typeof tfTypes;
export type Tensor = tfTypes.Tensor;

export function loadTf(): TF {
  return require("@tensorflow/tfjs") as TF;
}

/** The parts of tfjs 4.x's Engine the inspection magics read or wrap (not in its public types). */
export interface EngineInternals {
  registry: Record<string, object>;
  state: {
    numBytes: number;
    numTensors: number;
    profiling: boolean;
    activeProfile: { kernels: unknown[] };
    tensorInfo: WeakMap<object, { backend: object; bytes: number }>;
  };
  trackTensor(t: Tensor, backend: unknown): void;
  disposeTensor(t: Tensor): void;
  runKernel(kernelName: string, inputs: Record<string, Tensor | null>, attrs?: unknown): unknown;
  profiler: { profileKernel(kernelName: string, inputs: unknown, f: () => unknown[]): unknown };
}

export function engineInternals(): EngineInternals {
  return loadTf().engine() as unknown as EngineInternals;
}

/** The name of the backend that holds a tensor's data ("?" once disposed). */
export function backendNameOf(t: Tensor): string {
  const engine = engineInternals();
  const backend = engine.state.tensorInfo.get(t.dataId as object)?.backend;
  if (!backend) return t.isDisposed ? "(disposed)" : "?";
  for (const [name, b] of Object.entries(engine.registry)) if (b === backend) return name;
  return "?";
}
