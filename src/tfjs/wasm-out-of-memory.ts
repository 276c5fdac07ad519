// A wasm heap that cannot grow any further made tfjs-backend-wasm corrupt tensors: its
// `move` writes a new tensor at whatever `_malloc` returned, and near the 4 GiB limit
// `_malloc` returns 0 or, once that write has damaged the allocator, addresses inside live
// tensors (and later ops aborted the module for good). Each wasm backend this factory
// starts checks its allocations instead: one that cannot fit (the tensors' bytes plus the
// request, with room kept for the module's own work buffers) raises OutOfMemoryError
// before `_malloc` is called, a result outside the heap raises it before anything is
// written, and freeing tensors makes room again.
import * as tf from "@tensorflow/tfjs";
import { type WasmAllocator, wrapWasmAllocator } from "./wasm-allocator";

/** WebAssembly memory (32-bit addresses) holds at most 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;
/** Kept free for what the module allocates itself (kernels' scratch buffers, its stack and data). */
const RESERVED_BYTES = 64 * 1024 ** 2;

interface WasmModule extends WasmAllocator {
  HEAPU8: Uint8Array;
  wasmMemory?: WebAssembly.Memory;
}
interface BackendWasmLike {
  wasm: WasmModule;
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
const mib = (n: number) => (n >= 1024 ** 3 ? gib(n) : `${(n / 1024 ** 2).toFixed(1)} MiB`);

export class WasmOutOfMemoryError extends Error {
  constructor(
    readonly requested: number,
    readonly heapBytes: number,
    what: string,
  ) {
    super(
      `wasm out of memory: tried to allocate ${mib(requested)} (${requested.toLocaleString("en-US")} bytes) for ${what}. ` +
        `The wasm backend's heap is ${gib(heapBytes)} and cannot grow past its limit of 4 GiB (WebAssembly's 32-bit memory); ` +
        `${tf.memory().numTensors} tensors hold ${mib(tf.memory().numBytes)}. No tensor was changed: dispose tensors ` +
        `(tf.dispose, tf.tidy) to make room, or use a backend with more memory (%backend).`,
    );
    this.name = "OutOfMemoryError";
  }
}

function heapBytes(wasm: WasmModule): number {
  return wasm.wasmMemory?.buffer.byteLength ?? wasm.HEAPU8.byteLength;
}

/** Makes `backend` raise WasmOutOfMemoryError where it would have written past a failed allocation. */
export function checkWasmAllocations(backend: BackendWasmLike): void {
  const wasm = backend.wasm;
  let what = "a buffer";
  wrapWasmAllocator(wasm, (next) => ({
    _malloc(bytes) {
      const at = next._malloc(bytes) >>> 0;
      if (bytes > 0 && (at === 0 || at + bytes > heapBytes(wasm))) throw new WasmOutOfMemoryError(bytes, heapBytes(wasm), what);
      return at;
    },
    _free: next._free,
  }));
  const move = backend.move;
  backend.move = function (this: BackendWasmLike, dataId, values, shape, dtype, refCount) {
    if (dtype === "string") return move.call(this, dataId, values, shape, dtype, refCount);
    const bytes = tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    const tensor = `a ${dtype} tensor of shape [${shape.join(", ")}]`;
    // Past 4 GiB the size would wrap around in _malloc's 32-bit argument.
    if (bytes >= WASM_HEAP_LIMIT_BYTES) throw new WasmOutOfMemoryError(bytes, heapBytes(wasm), tensor);
    // Asking _malloc for what cannot fit is what damages its state: do not ask.
    if (tf.memory().numBytes + bytes > WASM_HEAP_LIMIT_BYTES - RESERVED_BYTES)
      throw new WasmOutOfMemoryError(bytes, heapBytes(wasm), tensor);
    what = tensor;
    try {
      return move.call(this, dataId, values, shape, dtype, refCount);
    } finally {
      what = "a buffer";
    }
  };
}

/**
 * Wraps the registered 'wasm' factory (once, before the backend starts) so each backend it
 * starts checks its allocations. False when there is no factory or wasm already runs.
 */
let wrapped: boolean | undefined;
export function guardWasmOutOfMemory(): boolean {
  if (wrapped !== undefined) return wrapped;
  const engine = tf.engine() as unknown as { registry: Record<string, unknown>; registryFactory: Record<string, { priority: number }> };
  const factory = tf.findBackendFactory("wasm");
  if (!factory || engine.registry.wasm) return (wrapped = false);
  const priority = engine.registryFactory.wasm?.priority ?? 2;
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const backend = await factory();
      checkWasmAllocations(backend as unknown as BackendWasmLike);
      return backend;
    },
    priority,
  );
  return (wrapped = true);
}
