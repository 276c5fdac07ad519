// The bytes of tensor buffers the wasm backend holds, and their peak, by watching its
// allocator: every buffer it makes (tensors, and the temporaries of our kernels) comes from
// its module's _malloc and goes back through _free. tf.memory() counts bytes per tensor
// object, so a clone or a reshape that shares a buffer counts it again; this counts each
// buffer once, as PyTorch's allocator events do (bench/toolkit/train_step_torch.py --memory).
import { type WasmAllocator, wrapWasmAllocator } from "./wasm-allocator";

export interface HeapWatch {
  /** Bytes allocated and not yet freed since the watch began (may be negative: frees of older buffers). */
  current(): number;
  /** The highest `current()` since the watch began or since resetPeak(). */
  peak(): number;
  resetPeak(): void;
  stop(): void;
}

export function watchWasmHeap(backend: unknown): HeapWatch {
  const wasm = (backend as { wasm?: WasmAllocator }).wasm;
  if (!wasm || typeof wasm._malloc !== "function") throw new Error("not the wasm backend: no _malloc to watch");
  const sizes = new Map<number, number>();
  let current = 0,
    peak = 0;
  const stop = wrapWasmAllocator(wasm, (next) => ({
    _malloc(bytes) {
      const ptr = next._malloc(bytes);
      sizes.set(ptr >>> 0, bytes);
      current += bytes;
      peak = Math.max(peak, current);
      return ptr;
    },
    _free(ptr) {
      const bytes = sizes.get(ptr >>> 0);
      if (bytes !== undefined) {
        sizes.delete(ptr >>> 0);
        current -= bytes;
      }
      next._free(ptr);
    },
  }));
  return {
    current: () => current,
    peak: () => peak,
    resetPeak: () => {
      peak = current;
    },
    stop,
  };
}
