// Main-thread side of the iopub worker: signs each message and hands it over in order, and
// hands stream text over as it is printed (the worker coalesces it). When the worker holds
// more than PENDING_LIMIT not yet taken by the socket (a client reading slower than a cell
// prints), the main thread waits for it to drain: backpressure, even in a cell that never
// yields, instead of losing output.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { endpoint, type ConnectionInfo } from "./connection";
import { STREAM_TAG, bytesOf, type IopubToMain, type IopubWorkerData, type MainToIopub } from "./iopub-protocol";
import type { Header, Message } from "./messages";
import { Signer, serializeMessage } from "./wire";

/** Output the worker may hold before the main thread waits (64 MiB; an Int32 counts it). */
const PENDING_LIMIT = 64 * 1024 * 1024;
/** A client that takes nothing for this long is not waited for (its output queues in memory). */
const STALL_MS = 10_000;
const WAIT_SLICE_MS = 100;

export class IopubPublisher {
  private readonly pending: Int32Array;
  private closed = false;
  /** Set while a stalled client is not waited for; cleared once it reads again. */
  private stalled = false;
  private drained?: Promise<void>;
  /** The request whose stream text the worker is receiving. */
  private streamParent?: string;

  private constructor(
    private readonly worker: Worker,
    buffer: SharedArrayBuffer,
    private readonly signer: Signer,
    private readonly log: (line: string) => void,
  ) {
    this.pending = new Int32Array(buffer);
  }

  /** Starts the worker and resolves once iopub is bound. */
  static async start(info: ConnectionInfo, sessionId: string, log: (line: string) => void): Promise<IopubPublisher> {
    const pendingBuffer = new SharedArrayBuffer(4);
    const workerData: IopubWorkerData = {
      iopubEndpoint: endpoint(info, "iopub"),
      key: info.key,
      signatureScheme: info.signature_scheme,
      sessionId,
      pendingBuffer,
    };
    const worker = new Worker(path.join(__dirname, "iopub-worker.js"), { workerData });
    const publisher = new IopubPublisher(worker, pendingBuffer, new Signer(info.key, info.signature_scheme), log);
    let onDrained!: () => void;
    publisher.drained = new Promise<void>((resolve) => (onDrained = resolve));
    await new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (m: IopubToMain) => {
        if (m.kind === "ready") resolve();
        else if (m.kind === "failed") reject(new Error(m.message));
        else if (m.kind === "log") log(m.line);
        else if (m.kind === "drained") onDrained();
      });
    });
    worker.on("error", (e) => log(`iopub worker failed: ${e.message}`));
    worker.once("exit", () => onDrained());
    return publisher;
  }

  send(msg: Message<unknown>): void {
    if (this.closed) return;
    const frames = serializeMessage(msg, this.signer);
    const credit = bytesOf(frames);
    this.waitForRoom(credit);
    Atomics.add(this.pending, 0, credit);
    this.post({ kind: "send", frames, credit });
  }

  /** Stream text of the request `parent`; the worker coalesces it into few messages. */
  stream(parent: Header, name: "stdout" | "stderr", text: string): void {
    if (this.closed || !text) return;
    if (parent.msg_id !== this.streamParent) {
      this.streamParent = parent.msg_id;
      this.post({ kind: "parent", header: parent });
    }
    this.waitForRoom(text.length);
    Atomics.add(this.pending, 0, text.length);
    this.post(STREAM_TAG[name] + text);
  }

  /** Sends what is queued (a client that stopped reading gets a few seconds), then ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.post({ kind: "close" });
    await this.drained;
  }

  /** Blocks the main thread (Atomics.wait) while the worker holds too much. */
  private waitForRoom(credit: number): void {
    let level = Atomics.load(this.pending, 0);
    if (this.stalled) {
      if (level > PENDING_LIMIT / 2) return;
      this.stalled = false;
    }
    let idleMs = 0;
    // A message bigger than the limit still goes once the queue is empty.
    while (level > 0 && level + credit > PENDING_LIMIT) {
      Atomics.wait(this.pending, 0, level, WAIT_SLICE_MS);
      const now = Atomics.load(this.pending, 0);
      idleMs = now === level ? idleMs + WAIT_SLICE_MS : 0;
      level = now;
      if (idleMs >= STALL_MS) {
        this.log(`iopub: no client has read output for ${STALL_MS / 1000} s; queueing it in memory instead of waiting`);
        this.stalled = true;
        return;
      }
    }
  }

  private post(m: MainToIopub): void {
    this.worker.postMessage(m);
  }
}
