// Keeps a record of every live tensor (id, shape, dtype, bytes, backend, the kernel that
// made it and the cell that ran then) and the peak of tensor bytes, from the engine's
// events (src/tfjs/hooks.ts). Subscribed by the first %memory or %%memit and kept for the
// rest of the session: a Map insert and delete per tensor, nothing per cell. The record
// holds no tensor, only its description.
import { currentCell } from "../../engine/cell-context";
import { subscribeTfHooks } from "../../tfjs/hooks";
import { liveTensorCounts } from "../../tfjs/internals";
import { tensorBytes } from "../../tfjs/tensor-bytes";

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
  /** The kernels running now, innermost last. */
  private readonly kernels: string[] = [];

  install(): void {
    if (this.installed) return;
    this.installed = true;
    this.since = currentCell()?.executionCount;
    this.peakBytes = liveTensorCounts().numBytes;
    subscribeTfHooks({
      name: "%memory's tensor tracker",
      tensorTracked: ({ tensor: t, backend, engineBytes }) => {
        this.live.set(t.id, {
          id: t.id,
          shape: t.shape,
          dtype: t.dtype,
          bytes: tensorBytes(t),
          backend,
          origin: this.kernels[this.kernels.length - 1],
          cell: currentCell()?.executionCount,
        });
        if (engineBytes > this.peakBytes) this.peakBytes = engineBytes;
      },
      tensorDisposed: (t) => {
        this.live.delete(t.id);
      },
      kernelStart: (call) => {
        this.kernels.push(call.name);
      },
      kernelEnd: () => {
        this.kernels.pop();
      },
    });
  }

  resetPeak(): void {
    this.peakBytes = liveTensorCounts().numBytes;
  }
}

export const tensorTracker = new TensorTracker();
