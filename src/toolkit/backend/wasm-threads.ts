// The multi-threaded SIMD build of the wasm backend under Node. TensorFlow.js turns it off
// in Node (its glue starts workers from blob: URLs, which Node refuses), so XNNPACK runs on
// one core. Here the workers start from a file (wasm-thread-worker.js) instead; with 2
// threads convolutions run about 1.8x faster on a 2-core machine.
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** Environment variable: worker threads of the wasm backend (1 = the single-threaded build). */
export const WASM_THREADS_ENV_VAR = "TFJS_LAB_WASM_THREADS";
/** A threaded start that never finishes (a worker that cannot load) would hang forever. */
const THREADED_START_TIMEOUT_MS = 30_000;
/** tfjs-backend-wasm pre-starts 8 workers and never uses more. */
const MAX_WASM_THREADS = 8;
// The module object itself (not an import-star copy), so that patching cpus() reaches the glue.
const nodeOs = require("node:os") as typeof import("node:os");
const WORKER_ENTRY = path.join(__dirname, "wasm-thread-worker.js");

interface WasmPackage { setThreadsCount(n: number): void; getThreadsCount(): number }

/** Threads wanted: $TFJS_LAB_WASM_THREADS, else one per core (at most 8). */
export function wantedWasmThreads(): number {
  const asked = process.env[WASM_THREADS_ENV_VAR];
  if (asked !== undefined && asked.trim() !== "") {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 1) {
      const err = new Error(`${WASM_THREADS_ENV_VAR} must be a whole number >= 1, got '${asked}'`);
      err.name = "ValueError";
      throw err;
    }
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.max(1, Math.min(nodeOs.cpus().length, MAX_WASM_THREADS));
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
function unrefRunningWorkers(): void {
  const backend = tf.findBackend("wasm") as unknown as { wasm?: { PThread?: { runningWorkers?: { unref(): void }[] } } } | null;
  for (const worker of backend?.wasm?.PThread?.runningWorkers ?? []) worker.unref();
}

/**
 * Runs `activate` (which initialises the wasm backend) with the threaded build enabled.
 * During it, blob: worker URLs become our worker file, and os.cpus() reports at least
 * 2 x threads cores because the backend caps its pool at half the logical cores.
 * Returns why threads were not used, if they were not.
 */
export async function withWasmThreads<T>(threads: number, activate: () => Promise<T>): Promise<{ result: T; skipped?: string }> {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as WasmPackage;
  const missing = threads > 1 ? threadedBuildMissing() : "1 thread asked for";
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", missing === undefined);
  if (missing !== undefined) {
    wasm.setThreadsCount(1);
    return { result: await activate(), skipped: missing };
  }
  wasm.setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  const cpus = nodeOs.cpus;
  URL.createObjectURL = (obj: Blob | MediaSource) =>
    obj instanceof Blob && obj.type === "application/javascript" ? WORKER_ENTRY : createObjectURL(obj);
  nodeOs.cpus = () => {
    const real = cpus();
    return real.length >= 2 * threads ? real : Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the threaded wasm build did not start within ${THREADED_START_TIMEOUT_MS / 1000} s; set ${WASM_THREADS_ENV_VAR}=1`)), THREADED_START_TIMEOUT_MS);
    });
    const result = await Promise.race([activate(), timeout]).finally(() => clearTimeout(timer));
    unrefRunningWorkers();
    return { result };
  } finally {
    URL.createObjectURL = createObjectURL;
    nodeOs.cpus = cpus;
  }
}
