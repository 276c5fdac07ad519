// The parts of TensorFlow.js 4.x's Engine that tfjs-lab reads or wraps and that its public
// types do not show, typed once, here. Everything outside src/tfjs goes through the
// functions of this layer (hooks.ts, scope-recovery.ts, tensor-bytes.ts, backendOf below);
// test/tfjs/internals-boundary.test.ts checks that nothing else reaches them.
// TensorFlow.js is loaded on first use, not on import: the kernel imports its magics at
// start, before any cell has asked for TensorFlow.js.
import type * as tfTypes from "@tensorflow/tfjs";

export type TF = typeof tfTypes;
export type Tensor = tfTypes.Tensor;

/** What the engine keeps per data buffer (keyed by the tensor's dataId). */
export interface EngineTensorInfo {
  /** The backend object that holds the buffer. */
  backend: object;
  dtype: string;
  shape: number[];
  /** The engine's count: size x bytes per element; 0 for complex64; the encoded bytes for strings. */
  bytes: number;
}

/** One node of the gradient tape; `saved` are the tensors kept for the backward pass. */
export interface TapeNode {
  saved?: Tensor[];
}

export interface EngineState {
  numBytes: number;
  numTensors: number;
  tensorInfo: WeakMap<object, EngineTensorInfo>;
  registeredVariables: Record<string, tfTypes.Variable>;
  scopeStack: unknown[];
  /** The innermost tf.engine().startScope()/tidy scope; `track` holds the tensors made in it. */
  activeScope: { track: unknown[] } | null;
  activeTape: TapeNode[] | null;
  gradientDepth: number;
  kernelDepth: number;
  numDataMovesStack: number[];
  profiling: boolean;
  activeProfile: { kernels: unknown[] };
}

export interface KernelProfiler {
  profileKernel(kernelName: string, inputs: unknown, f: () => unknown[]): unknown;
}

export interface EngineInternals {
  /** The backends started so far, by name. */
  registry: Record<string, object>;
  state: EngineState;
  profiler: KernelProfiler;
  trackTensor(t: Tensor, backend: unknown): void;
  disposeTensor(t: Tensor): void;
  removeDataId(dataId: object, backend: unknown): void;
  runKernel(kernelName: string, inputs: Record<string, Tensor | null>, attrs?: unknown): unknown;
  runKernelFunc(params: unknown): unknown;
  endScope(result?: unknown): void;
}

export function loadTf(): TF {
  return require("@tensorflow/tfjs") as TF;
}

/** True once something in the process has loaded TensorFlow.js (nothing to inspect before). */
export function isTfLoaded(): boolean {
  return require.cache[require.resolve("@tensorflow/tfjs")] !== undefined;
}

export function engineInternals(): EngineInternals {
  return loadTf().engine() as unknown as EngineInternals;
}

const backendNames = new WeakMap<object, string>();

/** The registered name of a backend object ("?" when it is not registered, e.g. removed since). */
export function backendName(backend: object | undefined): string {
  if (!backend) return "?";
  let name = backendNames.get(backend);
  if (name === undefined) {
    const found = Object.entries(engineInternals().registry).find(([, b]) => b === backend)?.[0];
    if (!found) return "?";
    backendNames.set(backend, (name = found));
  }
  return name;
}

/**
 * The name of the backend that holds this tensor's data: the engine's record of its buffer,
 * which is not always the active backend (a tensor made before %backend switched stays on
 * its backend until it is read or moved). "(disposed)" once disposed.
 */
export function backendOf(t: Tensor): string {
  const info = engineInternals().state.tensorInfo.get(t.dataId as object);
  if (!info) return t.isDisposed ? "(disposed)" : "?";
  return backendName(info.backend);
}

/**
 * The engine's live tensors and their bytes: tf.memory()'s numTensors and numBytes, read
 * without asking the backend for its own figures (which would start a backend not started yet).
 */
export function liveTensorCounts(): { numTensors: number; numBytes: number } {
  const { numTensors, numBytes } = engineInternals().state;
  return { numTensors, numBytes };
}

/** Tensors made so far in the innermost open scope (0 outside any scope). */
export function activeScopeTensorCount(): number {
  return engineInternals().state.activeScope?.track.length ?? 0;
}
