// Runs a SIMD convolution job (conv-job.ts) on as many kernel threads as pay: one part per
// thread where the backend has kernel threads (kernel-threads.ts), on the main thread alone
// otherwise. The three convolution kernels call this and nothing else to run.
import {
  type ConvJob,
  convJobSplitsImages,
  filterGradientImageChunks,
  zeroWrittenImages,
  encodeConvJob,
  maxConvJobParts,
  runConvJobPart,
  CONV_JOB_LENGTH,
} from "./conv-job";
import { segmentListLength } from "./conv-row-runs";
import { kernelThreadsFor } from "./kernel-threads";
import { CONV_THREAD_JOB } from "./thread-jobs";
import type { KernelCalls } from "./kernel-calls";
import { xnnpackThreads } from "../wasm-threads";

/**
 * `minFlopsPerPart`: waking a sleeping thread and waiting for it costs tens of microseconds,
 * what our kernels do in about 2 MFLOP; smaller convolutions get fewer parts.
 * `maxParts`: for tests and benchmarks (Infinity: every thread).
 */
export const convThreads = { minFlopsPerPart: 2e6, maxParts: Infinity };

/**
 * Whether our kernels use every thread the backend has: XNNPACK has one (as under our
 * factory), or we have kernel threads. Where a stock backend gave XNNPACK threads and we have
 * none, its threaded forms beat ours on one.
 */
export function singleThreadOrKernelThreads(memory: WebAssembly.Memory | undefined): boolean {
  return xnnpackThreads() === 1 || kernelThreadsFor(memory) !== undefined;
}

/**
 * What a kernel asks to run: the job less what runConvJob decides (its split and segment
 * lists). `zeroWritten` asks for the tensor summed into to be zeroed first: by each part for
 * its images where the parts split them, here on the main thread otherwise.
 */
export type ConvJobRequest = Omit<ConvJob, "segmentsAt" | "segmentsLength" | "splitImages">;

/** The job's multiply-adds times 2 (its FLOPs), over every output pixel and filter tap. */
function convFlops(job: ConvJobRequest): number {
  const { g, outChannels } = job;
  return 2 * g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels * outChannels;
}

/**
 * Parts the job would run in now (1 without kernel threads), and whether they split its
 * images: where the kind allows and the batch has an image for every part. Split by images,
 * each thread reads only its images and keeps every channel in its tiles; split by channels,
 * every thread read all of x. On YOLOv5n's forward shapes at 2 threads the channel split
 * scaled 1.4x, the image split 1.9x (`node dist/bench/toolkit/conv-gradients.js`).
 */
export function convJobParts(calls: KernelCalls, job: ConvJobRequest): { parts: number; splitImages: boolean } {
  // The filter gradient's chunks of images are fixed by the shape, threads or not.
  if (!convJobSplitsImages(job.kind)) {
    const chunks = filterGradientImageChunks(job.g, job.outChannels);
    if (chunks > 1) return { parts: chunks, splitImages: true };
  }
  const pool = kernelThreadsFor(calls.wasmMemory);
  if (!pool) return { parts: 1, splitImages: false };
  const byWork = Math.floor(convFlops(job) / convThreads.minFlopsPerPart);
  const wanted = Math.max(1, Math.min(pool.threads, byWork, convThreads.maxParts));
  if (wanted > 1 && convJobSplitsImages(job.kind) && job.g.batch >= wanted) return { parts: wanted, splitImages: true };
  return { parts: Math.max(1, Math.min(wanted, maxConvJobParts(job))), splitImages: false };
}

export function runConvJob(calls: KernelCalls, job: ConvJobRequest): void {
  const memory = calls.wasmMemory!;
  const kernels = calls.simd!;
  const { parts, splitImages } = convJobParts(calls, job);
  const segmentsLength = segmentListLength(job.g, job.rowsPerChunk);
  calls.scoped((tmp) => {
    // One segment list per part, on the heap where the kernels read them.
    const lists = tmp(calls.backendMakeOutput([parts * segmentsLength], "int32"));
    const partsZero = splitImages || parts === 1;
    if (job.zeroWritten && !partsZero) zeroWrittenImages(memory, job, [0, job.g.batch]);
    const full: ConvJob = {
      ...job,
      splitImages,
      zeroWritten: job.zeroWritten && partsZero,
      segmentsAt: calls.heapOf(lists).byteOffset,
      segmentsLength,
    };
    const pool = kernelThreadsFor(memory);
    if (parts === 1 || !pool) {
      for (let part = 0; part < parts; part++) runConvJobPart(kernels, memory, full, part, parts);
      return;
    }
    const payload = new Int32Array(CONV_JOB_LENGTH);
    encodeConvJob(full, payload);
    pool.run(CONV_THREAD_JOB, payload, parts, (part) => runConvJobPart(kernels, memory, full, part, parts));
  });
}
