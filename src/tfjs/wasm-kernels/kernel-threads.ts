// Kernel threads: worker threads that instantiate our SIMD kernels against the threaded wasm
// backend's shared memory, so that one of our kernels runs on every thread the backend has
// (TFJS_LAB_WASM_THREADS, wasm-threads.ts). A job (thread-jobs.ts) is split into parts; the
// main thread writes it into a shared control block, wakes the threads with Atomics.notify,
// and every thread, the main thread included, takes the next part not taken (Atomics.add)
// until none is left; the main thread then waits (Atomics.wait) for the others. Taking parts
// rather than being given them matters on a busy machine: a thread that wakes late finds its
// part done by the main thread instead of holding everyone up.
// Idle threads sleep in Atomics.wait: they take no CPU between kernels. They never keep the
// process alive (unref). An interrupt that stops the main thread while it waits (SIGINT,
// vm's breakOnSigint) leaves the threads to finish their parts, which only write the
// kernel's own output; the next job first waits for them (settle).
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { THREAD_JOBS } from "./thread-jobs";

/** Layout of the control block (Int32Array over a SharedArrayBuffer, not the heap). */
export const CONTROL = { generation: 0, pending: 1, stop: 2, failed: 3, job: 4, parts: 5, nextPart: 6, payload: 8 } as const;
export const PAYLOAD_LENGTH = 64;
export const ERROR_BYTES = 1024;
/** A part unfinished after this long without any thread finishing one is taken for a dead thread. */
const STALL_MS = 120_000;
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
    if (payload.length > PAYLOAD_LENGTH)
      throw new Error(
        `kernel thread job ${THREAD_JOBS[job]?.name ?? `job ${job}`}: payload of ${payload.length} values, the most is ${PAYLOAD_LENGTH}`,
      );
    const c = this.control;
    this.settle();
    c.set(payload, CONTROL.payload);
    c[CONTROL.job] = job;
    c[CONTROL.parts] = parts;
    Atomics.store(c, CONTROL.nextPart, 0);
    Atomics.store(c, CONTROL.failed, 0);
    Atomics.store(c, CONTROL.pending, this.workers.length);
    Atomics.add(c, CONTROL.generation, 1);
    Atomics.notify(c, CONTROL.generation);
    try {
      for (let part = Atomics.add(c, CONTROL.nextPart, 1); part < parts; part = Atomics.add(c, CONTROL.nextPart, 1)) runPart(part);
    } finally {
      // Also when a part here throws: the workers write the output the caller is about to free.
      this.settle();
    }
    if (Atomics.load(c, CONTROL.failed) !== 0) {
      const end = this.errorText.indexOf(0);
      const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? ERROR_BYTES : end));
      throw new Error(`our wasm kernel '${THREAD_JOBS[job]?.name ?? `job ${job}`}' failed on a kernel thread: ${text}`);
    }
  }

  /** Waits until no worker is running a part (one left running by an interrupted job included). */
  settle(): void {
    const c = this.control;
    let last = Atomics.load(c, CONTROL.pending),
      since = Date.now();
    while (last !== 0) {
      Atomics.wait(c, CONTROL.pending, last, 1000);
      const now = Atomics.load(c, CONTROL.pending);
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
    Atomics.add(this.control, CONTROL.generation, 1);
    Atomics.notify(this.control, CONTROL.generation);
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
