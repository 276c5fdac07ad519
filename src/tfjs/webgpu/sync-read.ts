// tfjs-backend-webgpu reads a tensor synchronously by drawing it through an OffscreenCanvas,
// which Node does not have: dataSync() would die with "OffscreenCanvas is not defined".
// Say what to use instead, and let reads of data still on the CPU go through.

interface TensorData {
  values?: unknown;
  dtype: string;
  complexTensorInfos?: { real: { dataId: object }; imag: { dataId: object } };
}

export interface SyncReadBackend {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): TensorData | undefined };
}

export const SYNC_READ_MESSAGE =
  "A synchronous read (dataSync(), arraySync(), bufferSync(), or moving a webgpu tensor to another backend) " +
  "cannot copy a tensor back from the webgpu backend under Node: TensorFlow.js reads synchronously through an " +
  "OffscreenCanvas, which Node does not have. Use `await t.data()` or `await t.array()` instead.";

/** Would readSync have to copy from GPU memory (rather than return values kept on the CPU)? */
export function needsGpuCopy(backend: SyncReadBackend, dataId: object): boolean {
  const data = backend.tensorMap.get(dataId);
  if (!data || data.values != null || data.dtype === "string") return false;
  const parts = data.complexTensorInfos;
  return parts ? needsGpuCopy(backend, parts.real.dataId) || needsGpuCopy(backend, parts.imag.dataId) : true;
}

const guarded = new WeakSet<object>();

export function guardSyncReads(backend: SyncReadBackend): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === "undefined" && needsGpuCopy(backend, dataId)) {
      const err = new Error(SYNC_READ_MESSAGE);
      err.name = "RuntimeError";
      throw err;
    }
    return readSync(dataId);
  };
}
