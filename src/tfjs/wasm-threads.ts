// The multi-threaded SIMD build of the wasm backend under Node. TensorFlow.js turns it off
// in Node (its glue starts workers from blob: URLs, which Node refuses), so XNNPACK runs on
// one core. Here the workers start from a file (wasm-thread-worker.js) instead; with 2
// threads a 3x3 convolution ran about 1.8x faster on an otherwise idle 2-core machine.
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

interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** Threads the wasm backend runs XNNPACK on now (1 for the single-threaded build). */
export function wasmThreadsInUse(): number {
  try {
    return (require("@tensorflow/tfjs-backend-wasm") as WasmPackage).getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Threads wanted: $TFJS_LAB_WASM_THREADS, else half the cores (at most 8) on machines with
 * 4 or more, else 1. On 2 cores the second one serves the kernel's own threads and the
 * front end: measured there, 2 wasm threads were 15% faster on a quiet machine and up to
 * 1.8x slower when the other core was busy. A value that is not a whole number >= 1 is
 * reported (`warning`) and the default is used.
 */
export function wantedWasmThreads(): { threads: number; warning?: string } {
  const cores = nodeOs.cpus().length;
  const byDefault = cores >= 4 ? Math.min(Math.floor(cores / 2), MAX_WASM_THREADS) : 1;
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
 * Runs `activate` (which initialises the wasm backend) with the threaded build enabled.
 * During it, blob: worker URLs become our worker file, and os.cpus() reports at least
 * 2 x threads cores because the backend caps its pool at half the logical cores.
 * Returns why threads were not used, if they were not. The caller unrefs the workers
 * (unrefWasmWorkers) once it has the backend.
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
      timer = setTimeout(
        () =>
          reject(
            new Error(`the threaded wasm build did not start within ${THREADED_START_TIMEOUT_MS / 1000} s; set ${WASM_THREADS_ENV_VAR}=1`),
          ),
        THREADED_START_TIMEOUT_MS,
      );
    });
    const result = await Promise.race([activate(), timeout]).finally(() => clearTimeout(timer));
    return { result };
  } finally {
    URL.createObjectURL = createObjectURL;
    nodeOs.cpus = cpus;
  }
}
