// Messages between the main thread and the control worker (worker_threads postMessage).
import type { Message } from "./messages";

export interface ControlWorkerData {
  controlEndpoint: string;
  hbEndpoint: string;
  key: string;
  signatureScheme: string;
  sessionId: string;
  /** The engine's interrupt counters (see engine/interrupt-flag.ts). */
  interruptBuffer: SharedArrayBuffer;
}

export type WorkerToMain =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "log"; line: string }
  /** An interrupt_request arrived (already raised on the shared flag): act on it when idle or waiting. */
  | { kind: "interrupt" }
  /** A verified control request the worker does not answer itself. */
  | { kind: "request"; msg: Message };

export type MainToWorker =
  /** Frames already serialized and signed by the main thread, for the control socket. */
  | { kind: "send"; frames: Uint8Array[] }
  /** The main thread has begun shutting down (a shutdown_request reached it). */
  | { kind: "closing" }
  | { kind: "close" };

/** Structured cloning turns Buffers into Uint8Arrays; make them Buffers again. */
export function reviveMessage(msg: Message): Message {
  return {
    ...msg,
    identities: msg.identities.map((b) => Buffer.from(b)),
    buffers: msg.buffers.map((b) => Buffer.from(b)),
  };
}
