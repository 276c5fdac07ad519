// One dispatcher for TensorFlow.js's engine events. TensorFlow.js has no allocation or kernel
// hooks, so something must wrap the engine's methods; only this file does, once, and fans
// each event out to every subscriber (device memory, the %memory tensor tracker, %%trace).
// Subscribers do not know about each other: any number, in any order, each may leave at
// any time, and when the last one leaves the engine gets its own methods back.
//
// A subscriber that throws does not break the kernel or the others: its error is reported
// once on stderr and the event goes on. The one exception is `beforeTopLevelKernel`, whose
// purpose is to stop a kernel (device memory raises its out-of-memory error there).
import { engineInternals, backendName, type EngineInternals, type KernelProfiler, type Tensor } from "./internals";

export interface TensorTracked {
  tensor: Tensor;
  /** The registered name of the backend that holds its data. */
  backend: string;
  /** True when the tensor brought a new data buffer (not a view of one already tracked). */
  newData: boolean;
  /** The engine's byte count for the buffer (0 for complex64 and, at this point, strings). */
  bufferBytes: number;
  /** The engine's live tensor bytes after this tensor was counted. */
  engineBytes: number;
}

export interface KernelCall {
  name: string;
  inputs: Record<string, Tensor | null>;
}

export interface TfHookSubscriber {
  /** Who subscribes, for the report when one of its hooks throws. */
  readonly name: string;
  /** A tensor was registered with the engine (every tensor a kernel or an op made). */
  tensorTracked?(event: TensorTracked): void;
  /** A tensor was disposed (its buffer may live on in other tensors that share it). */
  tensorDisposed?(tensor: Tensor): void;
  /** A data buffer was released by its backend (the last tensor on it is gone). */
  dataFreed?(dataId: object): void;
  /** A named kernel is about to run (`engine.runKernel`; nested kernels too). */
  kernelStart?(call: KernelCall): void;
  /** The kernel started last has returned or thrown (`error` then holds what it threw). */
  kernelEnd?(call: KernelCall, error?: { error: unknown }): void;
  /**
   * Runs before every top-level kernel or custom-gradient function (nothing else on the
   * engine's kernel stack, so unwinding from here is safe). Its error propagates: the
   * kernel does not run.
   */
  beforeTopLevelKernel?(): void;
  /**
   * While subscribed, a kernel that throws under tf.profile throws where it was called.
   * (TensorFlow.js's profiler runs it inside an async timer, so its error would otherwise
   * become an unhandled rejection and a TypeError in the engine.)
   */
  throwProfiledKernelErrors?: boolean;
}

type Patched = "trackTensor" | "disposeTensor" | "removeDataId" | "runKernel" | "runKernelFunc";
const PATCHED: readonly Patched[] = ["trackTensor", "disposeTensor", "removeDataId", "runKernel", "runKernelFunc"];

interface Installation {
  engine: EngineInternals;
  /** The engine's own descriptors (undefined: the method came from the prototype). */
  own: Map<Patched, PropertyDescriptor | undefined>;
  wrappers: Map<Patched, unknown>;
  /** The profilers wrapped so far (tfjs makes one per backend it switches to), with their own descriptors. */
  profilers: Map<KernelProfiler, { own?: PropertyDescriptor; wrapper: unknown }>;
}

const subscribers: TfHookSubscriber[] = [];
const reported = new WeakSet<TfHookSubscriber>();
let installation: Installation | null = null;

/** Calls one subscriber's hook; a throw is reported once and swallowed. */
function notify<K extends keyof TfHookSubscriber>(s: TfHookSubscriber, hook: K, ...args: unknown[]): void {
  try {
    (s[hook] as (...a: unknown[]) => void).apply(s, args);
  } catch (e) {
    if (reported.has(s)) return;
    reported.add(s);
    console.error(
      `tfjs-lab: ${s.name}'s ${String(hook)} hook failed and was skipped (TensorFlow.js went on; reported once): ${(e as Error)?.stack ?? String(e)}`,
    );
  }
}

// Each event keeps its own short list so that a tensor with nobody listening for it costs one length check.
function listening<K extends keyof TfHookSubscriber>(hook: K): TfHookSubscriber[] {
  return subscribers.filter((s) => s[hook] !== undefined);
}
let onTracked: TfHookSubscriber[] = [],
  onDisposed: TfHookSubscriber[] = [],
  onFreed: TfHookSubscriber[] = [];
let onKernel: TfHookSubscriber[] = [],
  gates: TfHookSubscriber[] = [],
  profileGuard = false;
function refreshLists(): void {
  onTracked = listening("tensorTracked");
  onDisposed = listening("tensorDisposed");
  onFreed = listening("dataFreed");
  onKernel = subscribers.filter((s) => s.kernelStart || s.kernelEnd);
  gates = listening("beforeTopLevelKernel");
  profileGuard = subscribers.some((s) => s.throwProfiledKernelErrors);
}

/**
 * Makes the active profiler rethrow a kernel's error where the kernel was called. Applied
 * when a profiled kernel first runs, because tfjs makes a new profiler for each backend.
 */
function guardProfiler(profiler: KernelProfiler): void {
  if (!installation || installation.profilers.has(profiler)) return;
  const profileKernel = profiler.profileKernel;
  const wrapper: typeof profileKernel = function (this: KernelProfiler, name, inputs, f) {
    if (!profileGuard) return profileKernel.call(this, name, inputs, f);
    let thrown: { error: unknown } | undefined;
    const guarded = () => {
      try {
        return f();
      } catch (e) {
        thrown = { error: e };
        return [];
      }
    };
    const profile = profileKernel.call(this, name, inputs, guarded);
    if (thrown) throw thrown.error;
    return profile;
  };
  installation.profilers.set(profiler, { own: Object.getOwnPropertyDescriptor(profiler, "profileKernel"), wrapper });
  profiler.profileKernel = wrapper;
}

function install(): Installation {
  const engine = engineInternals();
  const own = new Map<Patched, PropertyDescriptor | undefined>();
  const wrappers = new Map<Patched, unknown>();
  const original = {
    trackTensor: engine.trackTensor,
    disposeTensor: engine.disposeTensor,
    removeDataId: engine.removeDataId,
    runKernel: engine.runKernel,
    runKernelFunc: engine.runKernelFunc,
  };
  const wrapped: Pick<EngineInternals, Patched> = {
    trackTensor(this: EngineInternals, t, backend) {
      const newData = !this.state.tensorInfo.has(t.dataId as object);
      original.trackTensor.call(this, t, backend);
      if (onTracked.length === 0) return;
      const info = this.state.tensorInfo.get(t.dataId as object);
      const event: TensorTracked = {
        tensor: t,
        backend: backendName(info?.backend),
        newData,
        bufferBytes: info?.bytes ?? 0,
        engineBytes: this.state.numBytes,
      };
      for (const s of onTracked) notify(s, "tensorTracked", event);
    },
    disposeTensor(this: EngineInternals, t) {
      original.disposeTensor.call(this, t);
      for (const s of onDisposed) notify(s, "tensorDisposed", t);
    },
    removeDataId(this: EngineInternals, dataId, backend) {
      const had = this.state.tensorInfo.has(dataId);
      original.removeDataId.call(this, dataId, backend);
      if (had && !this.state.tensorInfo.has(dataId)) for (const s of onFreed) notify(s, "dataFreed", dataId);
    },
    runKernel(this: EngineInternals, name, inputs, attrs) {
      if (onKernel.length === 0) return original.runKernel.call(this, name, inputs, attrs);
      const call: KernelCall = { name, inputs };
      // The list may change while the kernel runs; end where we started.
      const listeners = onKernel;
      for (const s of listeners) if (s.kernelStart) notify(s, "kernelStart", call);
      let out: unknown;
      try {
        out = original.runKernel.call(this, name, inputs, attrs);
      } catch (error) {
        for (const s of listeners) if (s.kernelEnd) notify(s, "kernelEnd", call, { error });
        throw error;
      }
      for (const s of listeners) if (s.kernelEnd) notify(s, "kernelEnd", call);
      return out;
    },
    runKernelFunc(this: EngineInternals, params) {
      if (gates.length && this.state.kernelDepth === 0) for (const s of gates) s.beforeTopLevelKernel!();
      if (profileGuard && this.state.profiling) guardProfiler(this.profiler);
      return original.runKernelFunc.call(this, params);
    },
  };
  for (const key of PATCHED) {
    own.set(key, Object.getOwnPropertyDescriptor(engine, key));
    wrappers.set(key, wrapped[key]);
    (engine as unknown as Record<string, unknown>)[key] = wrapped[key];
  }
  return { engine, own, wrappers, profilers: new Map() };
}

/**
 * Gives the engine its own methods back. A method someone wrapped after us stays as it is
 * (taking ours out from under theirs would drop theirs); our wrapper below it is then a
 * pass-through with nobody subscribed, and is kept for the next subscriber.
 */
function uninstall(inst: Installation): boolean {
  const engine = inst.engine as unknown as Record<string, unknown>;
  if (PATCHED.some((key) => engine[key] !== inst.wrappers.get(key))) return false;
  for (const [profiler, { wrapper }] of inst.profilers) if (profiler.profileKernel !== wrapper) return false;
  const restore = (target: object, key: string, own: PropertyDescriptor | undefined) => {
    if (own) Object.defineProperty(target, key, own);
    else delete (target as Record<string, unknown>)[key];
  };
  for (const key of PATCHED) restore(engine, key, inst.own.get(key));
  for (const [profiler, { own }] of inst.profilers) restore(profiler, "profileKernel", own);
  return true;
}

/**
 * Subscribes to the engine's events; returns the function that unsubscribes (calling it
 * again does nothing). The engine is wrapped on the first subscription and restored when
 * the last subscriber leaves.
 */
export function subscribeTfHooks(subscriber: TfHookSubscriber): () => void {
  if (!installation || installation.engine !== engineInternals()) installation = install();
  subscribers.push(subscriber);
  refreshLists();
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    subscribers.splice(subscribers.indexOf(subscriber), 1);
    refreshLists();
    if (subscribers.length === 0 && installation && uninstall(installation)) installation = null;
  };
}

/** Whether the engine's methods are wrapped now (for tests and %memory's report). */
export function tfHooksInstalled(): boolean {
  return (
    installation !== null &&
    PATCHED.every((k) => (installation!.engine as unknown as Record<string, unknown>)[k] === installation!.wrappers.get(k))
  );
}
