// The multi-threaded SIMD build of the wasm backend under Node. TensorFlow.js turns it off
// in Node (its glue starts workers from blob: URLs, which Node refuses); here the workers start
// from a file (wasm-thread-worker.js) instead. We want the build for its shared memory: our
// kernel threads (wasm-kernels/kernel-threads.ts) work on it, and they run every hot kernel.
// XNNPACK's own pool gets one thread. Its threads spin after each of its ops, and on 2 cores
// they took the second core from ours: the bench's small CNN stepped in 21.1 ms with XNNPACK
// on 2 threads and 17.8 ms on 1 (19.8 ms with no threads at all); YOLOv5n ran the same.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** Environment variable: threads of the wasm backend's kernels (1 = the single-threaded build). */
export const WASM_THREADS_ENV_VAR = "TFJS_LAB_WASM_THREADS";
/** A threaded start that never finishes (a worker that cannot load) would hang forever. */
const THREADED_START_TIMEOUT_MS = 30_000;
/** Our kernel threads are workers of our own; past this many, waking them costs more than they add. */
const MAX_WASM_THREADS = 64;
const WORKER_ENTRY = path.join(__dirname, "wasm-thread-worker.js");

interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** Threads the backend's XNNPACK runs on now (1 for the single-threaded build, and under our factory). */
export function xnnpackThreads(): number {
  try {
    return (require("@tensorflow/tfjs-backend-wasm") as WasmPackage).getThreadsCount();
  } catch {
    return 1;
  }
}

/** Threads the last threaded start was for (our kernel threads, the main thread included), else 1. */
let threadedStart = 1;
export function wasmThreadsStarted(): number {
  return threadedStart;
}

/**
 * Threads wanted: $TFJS_LAB_WASM_THREADS, else every core on machines with fewer than 4, else
 * half of them (logical cores, which are often two to a physical one). On 2 cores, 2 threads
 * stepped YOLOv5n 1.49x faster than 1 on a quiet machine, and 11-13% slower while a busy
 * loop held the second core. A value that is not a whole number >= 1 is reported
 * (`warning`) and the default is used.
 */
export function wantedWasmThreads(): { threads: number; warning?: string } {
  const cores = os.cpus().length;
  const byDefault = cores >= 4 ? Math.min(Math.floor(cores / 2), MAX_WASM_THREADS) : Math.max(1, cores);
  const asked = process.env[WASM_THREADS_ENV_VAR];
  if (asked === undefined || asked.trim() === "") return { threads: byDefault };
  const n = Number(asked);
  if (!Number.isInteger(n) || n < 1) {
    return { threads: byDefault, warning: `${WASM_THREADS_ENV_VAR}='${asked}' ignored: not a whole number >= 1` };
  }
  return { threads: Math.min(n, MAX_WASM_THREADS) };
}

/** Why the threaded build cannot be used here, or undefined when it can. */
function threadedBuildMissing(): string | undefined {
  if (typeof SharedArrayBuffer === "undefined") return "no SharedArrayBuffer";
  if (!fs.existsSync(WORKER_ENTRY)) return `${WORKER_ENTRY} not built`;
  try {
    require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js");
    return undefined;
  } catch {
    return "tfjs-backend-wasm has no threaded build";
  }
}

/**
 * The glue keeps a Node worker ref'd while its pthread runs, and XNNPACK's pool threads run
 * for good: without this, no script that used the backend would ever exit.
 */
export function unrefWasmWorkers(backend: unknown): void {
  const glue = (backend as { wasm?: { PThread?: { runningWorkers?: { unref(): void }[] } } } | null)?.wasm;
  for (const worker of glue?.PThread?.runningWorkers ?? []) worker.unref();
}

/**
 * Runs `activate` (which initialises the wasm backend) with the threaded build enabled and
 * XNNPACK on one thread. During it, blob: worker URLs become our worker file. Returns why
 * threads were not used, if they were not. The caller unrefs the workers (unrefWasmWorkers)
 * once it has the backend, and starts the kernel threads.
 */
export async function withWasmThreads<T>(threads: number, activate: () => Promise<T>): Promise<{ result: T; skipped?: string }> {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as WasmPackage;
  const missing = threads > 1 ? threadedBuildMissing() : "1 thread asked for";
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", missing === undefined);
  wasm.setThreadsCount(1);
  threadedStart = 1;
  if (missing !== undefined) return { result: await activate(), skipped: missing };
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob | MediaSource) =>
    obj instanceof Blob && obj.type === "application/javascript" ? WORKER_ENTRY : createObjectURL(obj);
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`the threaded wasm build did not start within ${THREADED_START_TIMEOUT_MS / 1000} s; set ${WASM_THREADS_ENV_VAR}=1`),
          ),
        THREADED_START_TIMEOUT_MS,
      );
    });
    const result = await Promise.race([activate(), timeout]).finally(() => clearTimeout(timer));
    threadedStart = threads;
    return { result };
  } finally {
    URL.createObjectURL = createObjectURL;
  }
}
