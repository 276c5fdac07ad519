// Entry file of one wasm pthread worker under Node (started by wasm-threads.ts).
// tfjs-backend-wasm's threaded glue assumes a browser: it hands each worker the main
// script as a Blob, which Node's importScripts stand-in cannot read. This entry runs the
// stock worker code, but first points that 'load' message at the glue's file on disk.
import * as path from "node:path";
import { parentPort } from "node:worker_threads";

const WASM_OUT = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"));
const GLUE_FILE = path.join(WASM_OUT, "tfjs-backend-wasm-threaded-simd.js");

interface LoadMessage {
  cmd?: string;
  urlOrBlob?: unknown;
}

if (!parentPort) throw new Error("wasm-thread-worker.js must run as a worker thread");
const port = parentPort;
const addListener = port.on.bind(port);
port.on = ((event: string, listener: (data: unknown) => void) =>
  addListener(
    event,
    event !== "message"
      ? listener
      : (data: unknown) => {
          const msg = data as LoadMessage | null;
          if (msg?.cmd === "load" && typeof msg.urlOrBlob !== "string") msg.urlOrBlob = GLUE_FILE;
          listener(data);
        },
  )) as typeof port.on;

// The worker code ships as a JS string; '\n' inside its string literals must stay escaped.
const { wasmWorkerContents } = require(path.join(WASM_OUT, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
new Function("require", "__filename", wasmWorkerContents.replace(/\n/g, "\\n"))(require, GLUE_FILE);
