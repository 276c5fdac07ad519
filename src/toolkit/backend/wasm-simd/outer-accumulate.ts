// Loads `outerAccumulate` (outer-accumulate-source.ts) against the wasm backend's own memory,
// so that it reads and writes tensors in place. One instance per memory: the backend's
// memory object lives as long as the backend (growing it keeps the object).
import * as fs from "node:fs";
import * as path from "node:path";
import { OUTER_ACCUMULATE_FILES } from "./outer-accumulate-source";

/** Byte addresses and strides; n a multiple of 4. See outer-accumulate-source.ts. */
export type OuterAccumulate = (c: number, ldc: number, segments: number, segmentCount: number,
  lda: number, ldb: number, m: number, n: number) => void;

const instances = new WeakMap<WebAssembly.Memory, OuterAccumulate>();
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

/** The kernel bound to `memory`, or undefined (the reason is in `outerAccumulateUnavailable()`). */
export function outerAccumulateFor(memory: WebAssembly.Memory): OuterAccumulate | undefined {
  const cached = instances.get(memory);
  if (cached) return cached;
  const file = memory.buffer instanceof SharedArrayBuffer ? OUTER_ACCUMULATE_FILES.shared : OUTER_ACCUMULATE_FILES.plain;
  try {
    let module = modules.get(file);
    if (!module) {
      module = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, file)));
      modules.set(file, module);
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const kernel = instance.exports.outerAccumulate as OuterAccumulate;
    instances.set(memory, kernel);
    return kernel;
  } catch (e) {
    loadError = `${file}: ${(e as Error).message.split("\n")[0]} (run \`npm run build\` to assemble it)`;
    return undefined;
  }
}

/** Why the last load failed, if it did. */
export function outerAccumulateUnavailable(): string | undefined {
  return loadError;
}
