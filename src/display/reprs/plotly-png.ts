// SVG to PNG, synchronously: figures become mime bundles synchronously (a cell's value, or
// display()), and sharp only renders asynchronously. So sharp runs in a worker thread and
// this thread waits on a shared flag until the worker has answered. The worker starts on the
// first figure (sharp loads in about 0.1 s) and is unref'd, so it never keeps a process alive.
import * as path from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

let worker: Worker | undefined;
let port: MessagePort | undefined;
let broken: string | undefined;
const flag = new Int32Array(new SharedArrayBuffer(4));

function start(): MessagePort {
  const channel = new MessageChannel();
  worker = new Worker(path.join(__dirname, "plotly-png-worker.js"), {
    workerData: { port: channel.port2, flag },
    transferList: [channel.port2],
  });
  worker.unref();
  worker.once("exit", () => {
    worker = undefined;
    port = undefined;
  });
  channel.port1.unref();
  return channel.port1;
}

/** The PNG of an SVG; throws with the reason when it cannot be rendered. */
export function svgToPng(svg: string, timeoutMs = 15_000): Buffer {
  if (broken) throw new Error(broken);
  port ??= start();
  Atomics.store(flag, 0, 0);
  port.postMessage(svg);
  const waited = Atomics.wait(flag, 0, 0, timeoutMs);
  const reply = receiveMessageOnPort(port)?.message as { png?: Uint8Array; error?: string } | undefined;
  if (!reply) {
    // A worker that never answers (it could not start) would cost every figure the timeout.
    broken = waited === "timed-out" ? `the PNG renderer did not answer within ${timeoutMs} ms` : "the PNG renderer stopped";
    void worker?.terminate();
    throw new Error(broken);
  }
  if (reply.error) throw new Error(reply.error);
  return Buffer.from(reply.png!.buffer, reply.png!.byteOffset, reply.png!.byteLength);
}
