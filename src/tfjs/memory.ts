// What the active backend holds: tf.memory() plus the figures only some backends know.
import * as tf from "@tensorflow/tfjs";

export interface MemoryInfo {
  backend: string;
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  /** wasm: size of the WebAssembly heap (it grows, never shrinks). */
  wasmHeapBytes?: number;
  /** webgpu: bytes held in GPU buffers. */
  numBytesInGPU?: number;
  numBytesAllocatedInGPU?: number;
  unreliable?: boolean;
}

export function memoryInfo(): MemoryInfo {
  const mem = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  const backend = tf.getBackend();
  const info: MemoryInfo = {
    backend,
    numTensors: mem.numTensors,
    numDataBuffers: mem.numDataBuffers,
    numBytes: mem.numBytes,
  };
  if (mem.unreliable) info.unreliable = true;
  if (backend === "wasm") {
    const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array; wasmMemory?: WebAssembly.Memory } }).wasm;
    const bytes = wasm?.wasmMemory?.buffer.byteLength ?? wasm?.HEAPU8?.length;
    if (bytes !== undefined) info.wasmHeapBytes = bytes;
  }
  if (mem.numBytesInGPU !== undefined) info.numBytesInGPU = mem.numBytesInGPU;
  if (mem.numBytesAllocatedInGPU !== undefined) info.numBytesAllocatedInGPU = mem.numBytesAllocatedInGPU;
  return info;
}
