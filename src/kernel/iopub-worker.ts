// Worker thread that owns the iopub PUB socket. The main thread may be inside a cell that
// never yields (a synchronous loop printing), so coalescing stream text and sending happen
// here, where they go on while the main thread runs. Messages leave in the order they were
// posted, and none is dropped: the socket is set to refuse (not drop) at its high-water
// mark, and a refused message is retried until a subscriber takes it. The shared pending
// counter tells the main thread how much is still queued here, so it can wait instead of
// piling up memory.
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";
import { STREAM_TAG, type IopubToMain, type IopubWorkerData, type MainToIopub } from "./iopub-protocol";
import type { Header } from "./messages";
import { Session } from "./session";
import { StreamCoalescer } from "./stream-coalescer";
import { Signer, serializeMessage } from "./wire";

const data = workerData as IopubWorkerData;
const port = parentPort!;
const post = (m: IopubToMain) => port.postMessage(m);
const log = (line: string) => post({ kind: "log", line });
const pending = new Int32Array(data.pendingBuffer);

// noDrop: at the high-water mark send() fails with EAGAIN instead of discarding the message.
const iopub = new zmq.Publisher({ sendTimeout: 0, linger: 2000, noDrop: true });
/** How long a shutdown waits for a client that stopped reading before the rest is given up. */
const CLOSE_DRAIN_MS = 5000;
/** Retry delay when a subscriber's queue is full. */
const RETRY_MS = 1;

const session = new Session(data.sessionId);
const signer = new Signer(data.key, data.signatureScheme);
const streamTopic = Buffer.from(`kernel.${data.sessionId}.stream`);
const streams = new StreamCoalescer((parent, name, text) => {
  const msg = session.message("stream", { name, text }, null, { identities: [streamTopic] });
  msg.parent_header = parent;
  enqueue(serializeMessage(msg, signer), text.length);
});
let streamParent: Header | undefined;

const queue: { frames: Uint8Array[]; credit: number }[] = [];
let head = 0;
let pumping = false;
let closeRequested = false;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function taken(credit: number): void {
  Atomics.sub(pending, 0, credit);
  Atomics.notify(pending, 0);
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  let closeDeadline = Infinity;
  while (head < queue.length) {
    const item = queue[head];
    try {
      await iopub.send(item.frames);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN") {
        if (closeRequested && closeDeadline === Infinity) closeDeadline = Date.now() + CLOSE_DRAIN_MS;
        if (Date.now() < closeDeadline) {
          await sleep(RETRY_MS);
          continue;
        }
        log(`iopub: the client stopped reading; ${queue.length - head} message(s) not sent at shutdown`);
        for (let i = head; i < queue.length; i++) taken(queue[i].credit);
        head = queue.length;
        break;
      }
      // A socket error other than a full queue (closed, bad frames) cannot be retried.
      log(`iopub: could not send a message: ${(e as Error).message}`);
    }
    queue[head] = undefined as never;
    head++;
    taken(item.credit);
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  }
  queue.length = 0;
  head = 0;
  pumping = false;
  if (closeRequested) finish();
}

function finish(): void {
  post({ kind: "drained" });
  iopub.close();
  port.close();
}

function enqueue(frames: Uint8Array[], credit: number): void {
  queue.push({ frames, credit });
  void pump();
}

port.on("message", (m: MainToIopub) => {
  if (typeof m === "string") {
    streams.write(streamParent!, m[0] === STREAM_TAG.stdout ? "stdout" : "stderr", m.slice(1));
  } else if (m.kind === "parent") {
    streamParent = m.header;
  } else if (m.kind === "send") {
    // Text printed before this message goes first.
    streams.flush();
    // Structured cloning made the Buffers Uint8Arrays; view them as Buffers again (no copy).
    enqueue(
      m.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)),
      m.credit,
    );
  } else if (m.kind === "close") {
    streams.flush();
    closeRequested = true;
    if (!pumping) finish();
  }
});

iopub.bind(data.iopubEndpoint).then(
  () => post({ kind: "ready" }),
  (e: Error) => post({ kind: "failed", message: `cannot bind iopub: ${e.message}` }),
);
