// Keeps a record of every live tensor (id, shape, dtype, bytes, backend, the kernel that
// made it and the cell that ran then) and the peak of tensor bytes, by wrapping the
// engine's trackTensor/disposeTensor/runKernel. Installed by the first %memory or %%memit
// and kept for the rest of the session: a Map insert and delete per tensor, nothing per
// cell. The record holds no tensor, only its description.
import { currentCell } from "../../engine/cell-context";
import { engineInternals, type Tensor } from "./tf";

export interface LiveTensor {
  id: number;
  shape: number[];
  dtype: string;
  bytes: number;
  backend: string;
  /** Kernel that produced it ("Conv2D"); undefined for tensors made from values. */
  origin?: string;
  /** Execution count of the cell that created it. */
  cell?: number;
}

class TensorTracker {
  readonly live = new Map<number, LiveTensor>();
  installed = false;
  /** The cell that was running when tracking began. */
  since?: number;
  peakBytes = 0;
  private kernel: string | undefined;
  private readonly backendNames = new WeakMap<object, string>();

  install(): void {
    if (this.installed) return;
    this.installed = true;
    const engine = engineInternals();
    this.since = currentCell()?.executionCount;
    this.peakBytes = engine.state.numBytes;
    const tracker = this;
    const { trackTensor, disposeTensor, runKernel } = engine;
    engine.trackTensor = function (this: typeof engine, t: Tensor, backend: unknown) {
      trackTensor.call(this, t, backend);
      const bytes = t.dtype === "string" || t.dtype === "complex64" ? 0 : t.size * (t.dtype === "bool" ? 1 : 4);
      tracker.live.set(t.id, {
        id: t.id, shape: t.shape, dtype: t.dtype, bytes,
        backend: tracker.backendName((backend ?? (this as unknown as { backend: object }).backend) as object),
        origin: tracker.kernel, cell: currentCell()?.executionCount,
      });
      if (this.state.numBytes > tracker.peakBytes) tracker.peakBytes = this.state.numBytes;
    };
    engine.disposeTensor = function (this: typeof engine, t: Tensor) {
      tracker.live.delete(t.id);
      disposeTensor.call(this, t);
    };
    engine.runKernel = function (this: typeof engine, name, inputs, attrs) {
      const outer = tracker.kernel;
      tracker.kernel = name;
      try { return runKernel.call(this, name, inputs, attrs); } finally { tracker.kernel = outer; }
    };
  }

  private backendName(backend: object | undefined): string {
    if (!backend) return "?";
    let name = this.backendNames.get(backend);
    if (!name) {
      name = Object.entries(engineInternals().registry).find(([, b]) => b === backend)?.[0] ?? "?";
      this.backendNames.set(backend, name);
    }
    return name;
  }

  resetPeak(): void {
    this.peakBytes = engineInternals().state.numBytes;
  }
}

export const tensorTracker = new TensorTracker();
