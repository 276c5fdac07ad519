// Entry file of one kernel thread (kernel-threads.ts): instantiates our SIMD kernels against
// the wasm backend's shared memory, says it is ready, then sleeps in Atomics.wait until the
// main thread opens a job, claims parts of it until none is left, and spins a moment for the next. It never returns to its
// event loop; the main thread ends it with terminate() (or the process exits).
import { parentPort, workerData } from "node:worker_threads";
import { CONTROL, ERROR_BYTES, type KernelThreadData, PAYLOAD_LENGTH, claimGeneration, claimPart, spinThenWait } from "./kernel-threads";
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

// Read before saying ready: the first job may be opened the moment the main thread hears it.
let seen = claimGeneration(Atomics.load(c, CONTROL.claim));
try {
  kernelsFor(false);
  if (modules.fused) kernelsFor(true);
  parentPort!.postMessage({ ready: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
  throw e;
}

/** Claims and runs parts of job `generation` until none is left (its parameters hold while a part is claimed). */
function runParts(generation: number): void {
  Atomics.add(c, CONTROL.busy, 1);
  try {
    const parts = c[CONTROL.parts];
    const payload = c.subarray(CONTROL.payload, CONTROL.payload + PAYLOAD_LENGTH);
    for (let part = claimPart(c, generation, parts); part >= 0; part = claimPart(c, generation, parts)) {
      const job = THREAD_JOBS[c[CONTROL.job]];
      if (!job) throw new Error(`no job number ${c[CONTROL.job]}`);
      job.runPart(kernelsFor, memory, payload, part, parts);
    }
  } catch (e) {
    fail(e);
  }
  if (Atomics.sub(c, CONTROL.busy, 1) === 1) Atomics.notify(c, CONTROL.busy);
}

for (;;) {
  const word = spinThenWait(c, CONTROL.claim, (w) => claimGeneration(w) !== seen || Atomics.load(c, CONTROL.stop) !== 0);
  if (Atomics.load(c, CONTROL.stop) !== 0) break;
  if (claimGeneration(word) === seen) continue;
  seen = claimGeneration(word);
  runParts(seen);
}
