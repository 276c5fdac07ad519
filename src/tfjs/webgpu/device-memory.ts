// What the webgpu backend holds on its device, for %gpu: tfjs-backend-webgpu's
// BufferManager counts every buffer it creates (in use, and released ones it keeps pooled
// for reuse), and the device knows its adapter and buffer limits.
import * as tf from "@tensorflow/tfjs";
import { type AdapterInfoLike, classifyAdapter, type AdapterKind } from "./adapter-kind";

export interface WebgpuDeviceMemory {
  adapter?: AdapterKind;
  /** Bytes of buffers holding live data (BufferManager.numBytesUsed). */
  bytesInUse: number;
  /** Bytes of every buffer created and not destroyed, the pooled free ones included. */
  bytesAllocated: number;
  buffersInUse: number;
  buffersPooled: number;
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

interface WebgpuBackendView {
  bufferManager?: { numBytesUsed: number; numBytesAllocated: number; numUsedBuffers: number; numFreeBuffers: number };
  device?: { adapterInfo?: AdapterInfoLike; limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number } };
}

/** The figures, or undefined when the active backend is not webgpu. */
export function webgpuDeviceMemory(): WebgpuDeviceMemory | undefined {
  if (tf.getBackend() !== "webgpu") return undefined;
  const backend = tf.backend() as unknown as WebgpuBackendView;
  const buffers = backend.bufferManager;
  if (!buffers) return undefined;
  const info = backend.device?.adapterInfo;
  return {
    adapter: info ? classifyAdapter(info) : undefined,
    bytesInUse: buffers.numBytesUsed,
    bytesAllocated: buffers.numBytesAllocated,
    buffersInUse: buffers.numUsedBuffers,
    buffersPooled: buffers.numFreeBuffers,
    maxBufferSize: backend.device?.limits?.maxBufferSize,
    maxStorageBufferBindingSize: backend.device?.limits?.maxStorageBufferBindingSize,
  };
}
