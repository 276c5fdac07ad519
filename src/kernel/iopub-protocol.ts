// Messages between the main thread and the iopub worker (worker_threads postMessage), and the
// shared counter of bytes handed to the worker but not yet taken by the socket.

export interface IopubWorkerData {
  iopubEndpoint: string;
  /** Int32 [0]: KiB posted to the worker and not yet sent (the main thread waits when it is high). */
  pendingBuffer: SharedArrayBuffer;
}

export type IopubToMain =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "log"; line: string }
  /** Every message posted before "close" was handed to the socket (or the drain gave up). */
  | { kind: "drained" };

export type MainToIopub =
  /** One signed message; `kib` is what it added to the pending counter. */
  | { kind: "send"; frames: Uint8Array[]; kib: number }
  | { kind: "close" };

/** The pending counter's unit: KiB, so that an Int32 never overflows. */
export function kibOf(frames: Uint8Array[]): number {
  let bytes = 0;
  for (const f of frames) bytes += f.byteLength;
  return Math.ceil(bytes / 1024) || 1;
}
