// The wasm module's allocator (_malloc and _free), which every tensor buffer of the wasm
// backend comes from: the one place that wraps it, the wrap that aligns those buffers, and
// how the backend takes in the buffers its C++ side allocates.
//
// Emscripten's module starts with stubs for _malloc and _free whose first call replaces the
// module's property by the export itself, so a wrapper set before that first call vanished
// with it (the out-of-memory check did, after the first tensor). wrapWasmAllocator settles
// the stubs before the first wrapper takes them.
//
// Its malloc gives 8-byte alignment, and most tensors started at 8 mod 16: one 16-byte load
// in four of a filter's row then crossed a cache line. With every buffer on 64 bytes, our
// 1x1 convolution kernels ran 4-28% faster on YOLOv5n's shapes, the 3x3 ones within noise
// (bench/toolkit/aligned-buffers.ts, one thread; a whole training step within the shared
// host's noise), and no buffer shares a cache line with another that a second thread writes.

export interface WasmAllocator {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** The alignment of every buffer allocated through the module's _malloc once aligned. */
export const WASM_ALIGNMENT_BYTES = 64;

const settled = new WeakSet<object>();

/**
 * Puts `wrap(next)`'s _malloc and _free on the module, `next` being the ones it had; returns
 * a function that puts those back (for wrappers that end, such as a heap watch).
 */
export function wrapWasmAllocator(wasm: WasmAllocator, wrap: (next: WasmAllocator) => WasmAllocator): () => void {
  if (!settled.has(wasm)) {
    wasm._free(wasm._malloc(0)); // the stubs' first calls: now the properties are the exports
    settled.add(wasm);
  }
  const before = { malloc: wasm._malloc, free: wasm._free };
  const next: WasmAllocator = {
    _malloc: (bytes) => before.malloc.call(wasm, bytes),
    _free: (ptr) => before.free.call(wasm, ptr),
  };
  const wrapped = wrap(next);
  wasm._malloc = wrapped._malloc;
  wasm._free = wrapped._free;
  return () => {
    wasm._malloc = before.malloc;
    wasm._free = before.free;
  };
}

/** wrapWasmAllocator on the module of a wasm backend (tf.backend()), for code outside src/tfjs. */
export function wrapBackendAllocator(backend: unknown, wrap: (next: WasmAllocator) => WasmAllocator): () => void {
  const wasm = (backend as { wasm?: WasmAllocator }).wasm;
  if (!wasm || typeof wasm._malloc !== "function") throw new Error("not the wasm backend: no _malloc to wrap");
  return wrapWasmAllocator(wasm, wrap);
}

/**
 * Makes every later allocation start on WASM_ALIGNMENT_BYTES (asking for that much more).
 * _free takes those and, unchanged, the buffers allocated elsewhere: before this wrap, and by
 * the module's C++ code (non-max suppression's results, which the backend frees).
 */
export function alignWasmAllocations(wasm: WasmAllocator): void {
  const align = WASM_ALIGNMENT_BYTES;
  wrapWasmAllocator(wasm, (next) => {
    const starts = new Map<number, number>(); // aligned address -> what next._malloc gave
    return {
      _malloc(bytes) {
        const start = next._malloc(bytes + align) >>> 0;
        if (start === 0) return 0;
        const at = Math.ceil(start / align) * align; // unsigned: heaps may pass 2 GiB
        starts.set(at, start);
        return at;
      },
      _free(ptr) {
        const at = ptr >>> 0;
        const start = starts.get(at);
        if (start === undefined) return next._free(ptr);
        starts.delete(at);
        next._free(start);
      },
    };
  });
}

export interface BackendMakeOutput {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: unknown): unknown;
}

/** Makes the backend's makeOutput read a given address (one the C++ side returned) as unsigned. */
export function takeAddressesUnsigned(backend: BackendMakeOutput): void {
  const makeOutput = backend.makeOutput;
  backend.makeOutput = function (this: BackendMakeOutput, shape, dtype, memoryOffset, values) {
    return makeOutput.call(this, shape, dtype, memoryOffset == null ? memoryOffset : memoryOffset >>> 0, values);
  };
}
