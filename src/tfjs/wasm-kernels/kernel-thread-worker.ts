// Entry file of one kernel thread (kernel-threads.ts): instantiates our SIMD kernels against
// the wasm backend's shared memory, says it is ready, then sleeps in Atomics.wait until the
// main thread posts a job, takes parts of it until none is left, and counts itself done. It never returns to its
// event loop; the main thread ends it with terminate() (or the process exits).
import { parentPort, workerData } from "node:worker_threads";
import { CONTROL, ERROR_BYTES, type KernelThreadData, PAYLOAD_LENGTH } from "./kernel-threads";
import { THREAD_JOBS } from "./thread-jobs";
import type { SimdKernels } from "../wasm-simd/load";

const { memory, modules, control, errorText, index } = workerData as KernelThreadData;
const c = new Int32Array(control);
const instances = new Map<boolean, SimdKernels>();

function kernelsFor(fused: boolean): SimdKernels {
  let k = instances.get(fused);
  if (!k) {
    const module = fused ? modules.fused : modules.plain;
    if (!module) throw new Error("the fused-multiply-add build of our kernels was not handed to this thread");
    k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(fused, k);
  }
  return k;
}

function fail(e: unknown): void {
  if (Atomics.compareExchange(c, CONTROL.failed, 0, 1) !== 0) return;
  const bytes = new TextEncoder().encode(`thread ${index}: ${(e as Error)?.message ?? String(e)}`).slice(0, ERROR_BYTES - 1);
  const out = new Uint8Array(errorText);
  out.fill(0);
  out.set(bytes);
}

// Read before saying ready: the first job may be posted the moment the main thread hears it.
let seen = Atomics.load(c, CONTROL.generation);
try {
  kernelsFor(false);
  if (modules.fused) kernelsFor(true);
  parentPort!.postMessage({ ready: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
  throw e;
}

for (;;) {
  Atomics.wait(c, CONTROL.generation, seen);
  seen = Atomics.load(c, CONTROL.generation);
  if (Atomics.load(c, CONTROL.stop) !== 0) break;
  const parts = c[CONTROL.parts];
  try {
    const job = THREAD_JOBS[c[CONTROL.job]];
    const payload = c.subarray(CONTROL.payload, CONTROL.payload + PAYLOAD_LENGTH);
    for (let part = Atomics.add(c, CONTROL.nextPart, 1); part < parts; part = Atomics.add(c, CONTROL.nextPart, 1)) {
      if (!job) throw new Error(`no job number ${c[CONTROL.job]}`);
      job.runPart(kernelsFor, memory, payload, part, parts);
    }
  } catch (e) {
    fail(e);
  }
  if (Atomics.sub(c, CONTROL.pending, 1) === 1) Atomics.notify(c, CONTROL.pending);
}
