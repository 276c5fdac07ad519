// Instantiates our SIMD kernels (module-wat.ts) against the wasm backend's own memory, so
// that they read and write tensors in place. One instance per memory: the backend's memory
// object lives as long as the backend (growing it keeps the object).
import * as fs from "node:fs";
import * as path from "node:path";
import { SIMD_KERNEL_FILES } from "./module-wat";

/** Byte addresses and strides throughout; see the *-wat.ts files. */
export interface SimdKernels {
  outerAccumulate(c: number, ldc: number, segments: number, segmentCount: number,
    lda: number, ldb: number, m: number, n: number): void;
  rowScatter(segments: number, segmentCount: number, ldc: number, lda: number,
    b: number, ldb: number, k: number, width: number, rowsPerTile: number): void;
  siluGrad(dy: number, x: number, s: number, out: number, count: number): void;
  channelSums(dy: number, x: number, mean: number, dyMean: number, rows: number, channels: number, out: number): void;
  channelAffine(dy: number, x: number, a: number, b: number, k: number, out: number, rows: number, channels: number): void;
  copyRuns(src: number, srcStride: number, dst: number, dstStride: number, runBytes: number, count: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();
const modules = new Map<string, WebAssembly.Module>();
let loadError: string | undefined;

/**
 * The backend's `WebAssembly.Memory`: emscripten keeps it as the module's `asm.memory` export
 * in the single-threaded build, and as `wasmMemory` in the threaded one (which creates it).
 */
export function wasmBackendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** The kernels bound to `memory`, or undefined (the reason is in `simdKernelsUnavailable()`). */
export function simdKernelsFor(memory: WebAssembly.Memory): SimdKernels | undefined {
  const cached = instances.get(memory);
  if (cached) return cached;
  const file = memory.buffer instanceof SharedArrayBuffer ? SIMD_KERNEL_FILES.shared : SIMD_KERNEL_FILES.plain;
  try {
    let module = modules.get(file);
    if (!module) {
      module = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, file)));
      modules.set(file, module);
    }
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
    return kernels;
  } catch (e) {
    loadError = `${file}: ${(e as Error).message.split("\n")[0]} (run \`npm run build\` to assemble it)`;
    return undefined;
  }
}

/** Why the last load failed, if it did. */
export function simdKernelsUnavailable(): string | undefined {
  return loadError;
}
