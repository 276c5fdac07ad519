// Messages between the main thread and the iopub worker (worker_threads postMessage), and the
// shared counter of what was handed to the worker but not yet taken by the socket.
import type { Header } from "./messages";

export interface IopubWorkerData {
  iopubEndpoint: string;
  key: string;
  signatureScheme: string;
  sessionId: string;
  /** Int32 [0]: credit (bytes of frames, characters of stream text) posted and not yet sent; the main thread waits when it is high. */
  pendingBuffer: SharedArrayBuffer;
}

export type IopubToMain =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "log"; line: string }
  /** Every message posted before "close" was handed to the socket (or the drain gave up). */
  | { kind: "drained" };

export type MainToIopub =
  /** One signed message; `credit` is what it added to the pending counter. */
  | { kind: "send"; frames: Uint8Array[]; credit: number }
  /** The request later "stream" items belong to (sent once per change of parent). */
  | { kind: "parent"; header: Header }
  | { kind: "close" }
  /**
   * Stream text of the current parent, coalesced by the worker; its credit is text.length.
   * A bare string (cheaper to post than an object: a flood posts one per console.log):
   * STREAM_TAG[name] then the text.
   */
  | string;

export const STREAM_TAG = { stdout: "1", stderr: "2" } as const;

export function bytesOf(frames: Uint8Array[]): number {
  let bytes = 0;
  for (const f of frames) bytes += f.byteLength;
  return bytes;
}
