// Kernel threads: worker threads that instantiate our SIMD kernels against the threaded wasm
// backend's shared memory, so that one of our kernels runs on every thread the backend has
// (TFJS_LAB_WASM_THREADS, wasm-threads.ts). A job (thread-jobs.ts) is split into parts; the
// main thread writes it into a shared control block and opens it, and every thread, the main
// thread included, claims the next part not claimed until none is left.
// The main thread waits only for parts a worker has claimed, never for a worker to wake up:
// waking a sleeping thread took 50-130 us here, longer than many of our kernels' parts, so a
// thread that wakes late finds the parts done instead of holding everyone up. Workers spin
// briefly after a job before they sleep (Atomics.wait), because the next kernel's job tends to
// follow within tens of microseconds; sleeping, they take no CPU. They never keep the process
// alive (unref). An interrupt that stops the main thread (SIGINT, vm's breakOnSigint) leaves
// the workers to finish the parts they claimed, which only write the kernel's own output; the
// next job first closes the old one and waits for them (settle).
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { THREAD_JOBS } from "./thread-jobs";

/**
 * Layout of the control block (Int32Array over a SharedArrayBuffer, not the heap). `claim`
 * holds the open job's generation (high bits) and its next unclaimed part (low PART_BITS), so
 * that a part is claimed and checked against its job in one compare-exchange; `busy` counts
 * the workers claiming or running parts.
 */
export const CONTROL = { claim: 0, busy: 1, stop: 2, failed: 3, job: 4, parts: 5, payload: 8 } as const;
export const PAYLOAD_LENGTH = 64;
export const ERROR_BYTES = 1024;
const PART_BITS = 12;
const PART_MASK = (1 << PART_BITS) - 1;
const GENERATION_MASK = (1 << (31 - PART_BITS)) - 1;
/** The most parts a job can have (the claim word's low bits; the last value marks a closed job). */
export const MAX_THREAD_JOB_PARTS = PART_MASK - 1;
/** How long a thread spins for the next job or for the workers' parts before it sleeps. */
export const SPIN_MS = 0.3;
/** A part unfinished after this long without any thread finishing one is taken for a dead thread. */
const STALL_MS = 120_000;

/** The generation of a claim word. */
export function claimGeneration(word: number): number {
  return word >>> PART_BITS;
}

/** Claims the next part of job `generation` (of `parts`), or returns -1 when none is left or the job is not open. */
export function claimPart(c: Int32Array, generation: number, parts: number): number {
  for (;;) {
    const word = Atomics.load(c, CONTROL.claim);
    const part = word & PART_MASK;
    if (word >>> PART_BITS !== generation || part >= parts) return -1;
    if (Atomics.compareExchange(c, CONTROL.claim, word, word + 1) === word) return part;
  }
}

/** Spins up to SPIN_MS, then sleeps, until `ready()`; `index` is the word whose change wakes the sleep. */
export function spinThenWait(c: Int32Array, index: number, ready: (word: number) => boolean, sleepMs = Infinity): number {
  const until = performance.now() + SPIN_MS;
  for (;;) {
    const word = Atomics.load(c, index);
    if (ready(word)) return word;
    if (performance.now() > until) {
      Atomics.wait(c, index, word, sleepMs);
      return Atomics.load(c, index);
    }
  }
}
const WORKER_ENTRY = path.join(__dirname, "kernel-thread-worker.js");

export interface KernelThreadData {
  memory: WebAssembly.Memory;
  modules: { plain: WebAssembly.Module; fused?: WebAssembly.Module };
  control: SharedArrayBuffer;
  errorText: SharedArrayBuffer;
  /** This thread's number, 1, 2, ... (the main thread is 0), for error messages. */
  index: number;
}

export class KernelThreads {
  private readonly control: Int32Array;
  private readonly errorText: Uint8Array;
  /** Why the threads can no longer be used, once one failed outside a job or stalled. */
  broken?: string;
  /** The generation of the last job opened (the claim word's high bits). */
  private generation = 0;

  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    errorText: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(control);
    this.errorText = new Uint8Array(errorText);
    for (const w of workers) {
      w.on("error", (e) => {
        this.broken ??= `a kernel thread failed: ${e.message}`;
      });
      w.on("exit", () => {
        this.broken ??= "a kernel thread exited";
      });
    }
  }

  /** Threads a job can use: the workers and the main thread. */
  get threads(): number {
    return this.broken ? 1 : this.workers.length + 1;
  }

  /** Starts `threads - 1` workers on `memory` (shared) and resolves once each has its kernels. */
  static async start(memory: WebAssembly.Memory, modules: KernelThreadData["modules"], threads: number): Promise<KernelThreads> {
    const control = new SharedArrayBuffer(4 * (CONTROL.payload + PAYLOAD_LENGTH));
    const errorText = new SharedArrayBuffer(ERROR_BYTES);
    const workers = Array.from(
      { length: threads - 1 },
      (_, i) => new Worker(WORKER_ENTRY, { workerData: { memory, modules, control, errorText, index: i + 1 } satisfies KernelThreadData }),
    );
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once("message", (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(m.error))));
              w.once("error", reject);
              w.once("exit", (code) => reject(new Error(`a kernel thread exited (code ${code}) before it was ready`)));
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    for (const w of workers) {
      w.removeAllListeners();
      w.unref();
    }
    return new KernelThreads(workers, control, errorText);
  }

  /**
   * Runs job `job` (THREAD_JOBS) in `parts` parts, here (`runPart(part)`) and on the workers,
   * each part once; returns when all are done, and throws what a worker threw.
   */
  run(job: number, payload: Int32Array, parts: number, runPart: (part: number) => void): void {
    const name = THREAD_JOBS[job]?.name ?? `job ${job}`;
    if (payload.length > PAYLOAD_LENGTH)
      throw new Error(`kernel thread job ${name}: payload of ${payload.length} values, the most is ${PAYLOAD_LENGTH}`);
    if (parts > MAX_THREAD_JOB_PARTS) throw new Error(`kernel thread job ${name}: ${parts} parts, the most is ${MAX_THREAD_JOB_PARTS}`);
    const c = this.control;
    this.settle();
    c.set(payload, CONTROL.payload);
    c[CONTROL.job] = job;
    c[CONTROL.parts] = parts;
    Atomics.store(c, CONTROL.failed, 0);
    this.generation = (this.generation + 1) & GENERATION_MASK;
    Atomics.store(c, CONTROL.claim, this.generation << PART_BITS);
    Atomics.notify(c, CONTROL.claim);
    try {
      for (let part = claimPart(c, this.generation, parts); part >= 0; part = claimPart(c, this.generation, parts)) runPart(part);
    } finally {
      // Also when a part here throws: the workers write the output the caller is about to free.
      this.settle();
    }
    if (Atomics.load(c, CONTROL.failed) !== 0) {
      const end = this.errorText.indexOf(0);
      const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? ERROR_BYTES : end));
      throw new Error(`our wasm kernel '${name}' failed on a kernel thread: ${text}`);
    }
  }

  /**
   * Closes the open job to further claims and waits until no worker is running a part of it
   * (one left running by an interrupted job included).
   */
  settle(): void {
    const c = this.control;
    Atomics.store(c, CONTROL.claim, (this.generation << PART_BITS) | PART_MASK);
    let last = Atomics.load(c, CONTROL.busy),
      since = Date.now();
    while (last !== 0) {
      const now = spinThenWait(c, CONTROL.busy, (busy) => busy === 0, 1000);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.broken = `a kernel thread did not finish its part in ${STALL_MS / 1000} s`;
        throw new Error(`${this.broken}; our wasm kernels now run on the main thread only`);
      }
    }
  }

  /** Ends the workers (tests; a process exits without it). */
  async stop(): Promise<void> {
    this.broken ??= "stopped";
    Atomics.store(this.control, CONTROL.stop, 1);
    Atomics.add(this.control, CONTROL.claim, 1 << PART_BITS);
    Atomics.notify(this.control, CONTROL.claim);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const byMemory = new WeakMap<WebAssembly.Memory, KernelThreads>();

/** The kernel threads on `memory`, if they were started and still work. */
export function kernelThreadsFor(memory: WebAssembly.Memory | undefined): KernelThreads | undefined {
  const pool = memory && byMemory.get(memory);
  return pool && !pool.broken ? pool : undefined;
}

/**
 * Starts kernel threads for the backend's shared memory (once per memory); resolves to why
 * they were not started, or undefined. One thread (or a memory that is not shared) needs none.
 */
export async function startKernelThreads(
  memory: WebAssembly.Memory | undefined,
  threads: number,
  modules: () => KernelThreadData["modules"] | undefined,
): Promise<string | undefined> {
  if (threads <= 1) return "1 thread";
  if (!memory || !(memory.buffer instanceof SharedArrayBuffer)) return "the wasm backend's memory is not shared";
  if (byMemory.has(memory)) return undefined;
  const m = modules();
  if (!m) return "our SIMD kernels are not assembled";
  try {
    byMemory.set(memory, await KernelThreads.start(memory, m, threads));
    return undefined;
  } catch (e) {
    return `kernel threads did not start: ${(e as Error).message}`;
  }
}

/** Stops the kernel threads on `memory` (tests): its kernels run on the main thread after. */
export async function stopKernelThreads(memory: WebAssembly.Memory | undefined): Promise<void> {
  const pool = memory && byMemory.get(memory);
  if (!pool) return;
  byMemory.delete(memory);
  await pool.stop();
}
