// The table of jobs the kernel threads run (kernel-threads.ts), by number: what a job's
// payload is and how one part of it runs. The main thread and every kernel thread read the
// same table, so a part runs the same code wherever it runs.
// Imports nothing that loads TensorFlow.js: kernel-thread-worker.ts reads this table.
import { decodeConvJob, runConvJobPart } from "./conv-job";
import { decodeWinogradJob, runWinogradPart } from "./winograd-job";
import {
  channelAffinePart,
  channelAffineActivationPart,
  channelScaleShiftPart,
  channelSumsPart,
  copyRunsPart,
  maxPoolGradPart,
  sameShapeBinaryPart,
  activationChannelSumsPart,
  siluGradPart,
  siluPart,
} from "./elementwise-parts";
import type { SimdKernels } from "../wasm-simd/load";

/** Our SIMD kernels of the build with (true) or without fused multiply-adds, bound to the shared memory. */
export type KernelsFor = (fused: boolean) => SimdKernels;

export interface ThreadJob {
  name: string;
  /** Runs part `part` of `parts` of the job `payload` describes. */
  runPart(kernelsFor: KernelsFor, memory: WebAssembly.Memory, payload: Int32Array, part: number, parts: number): void;
}

export const THREAD_JOBS: ThreadJob[] = [
  {
    name: "convolution",
    runPart: (kernelsFor, memory, payload, part, parts) => {
      const job = decodeConvJob(payload);
      runConvJobPart(kernelsFor(job.fused), memory, job, part, parts);
    },
  },
  // The element-wise kernels are one build (no multiply-add to fuse).
  { name: "SiLU gradient", runPart: (kernelsFor, _memory, payload, part, parts) => siluGradPart(kernelsFor(false), payload, part, parts) },
  {
    name: "batch norm gradient",
    runPart: (kernelsFor, _memory, payload, part, parts) => channelAffinePart(kernelsFor(false), payload, part, parts),
  },
  { name: "SiLU", runPart: (kernelsFor, _memory, payload, part, parts) => siluPart(kernelsFor(false), payload, part, parts) },
  {
    name: "per-channel affine map",
    runPart: (kernelsFor, _memory, payload, part, parts) => channelScaleShiftPart(kernelsFor(false), payload, part, parts),
  },
  {
    name: "channel sums",
    runPart: (kernelsFor, _memory, payload, part, parts) => channelSumsPart(kernelsFor(false), payload, part, parts),
  },
  {
    name: "batch norm and its activation",
    runPart: (kernelsFor, _memory, payload, part, parts) => channelAffineActivationPart(kernelsFor(false), payload, part, parts),
  },
  {
    name: "activation gradient and channel sums",
    runPart: (kernelsFor, _memory, payload, part, parts) => activationChannelSumsPart(kernelsFor(false), payload, part, parts),
  },
  {
    name: "same-shape Add, Sub or Multiply",
    runPart: (kernelsFor, _memory, payload, part, parts) => sameShapeBinaryPart(kernelsFor(false), payload, part, parts),
  },
  { name: "strided copy", runPart: (kernelsFor, _memory, payload, part, parts) => copyRunsPart(kernelsFor(false), payload, part, parts) },
  { name: "MaxPoolGrad", runPart: (kernelsFor, _memory, payload, part, parts) => maxPoolGradPart(kernelsFor(false), payload, part, parts) },
  {
    name: "Winograd convolution",
    runPart: (kernelsFor, memory, payload, part, parts) => {
      const job = decodeWinogradJob(payload);
      runWinogradPart(kernelsFor(job.fused), memory, job, part, parts);
    },
  },
];

export const CONV_THREAD_JOB = 0;
export const SILU_GRAD_THREAD_JOB = 1;
export const CHANNEL_AFFINE_THREAD_JOB = 2;
export const SILU_THREAD_JOB = 3;
export const CHANNEL_SCALE_SHIFT_THREAD_JOB = 4;
export const CHANNEL_SUMS_THREAD_JOB = 5;
export const CHANNEL_AFFINE_ACTIVATION_THREAD_JOB = 6;
export const ACTIVATION_CHANNEL_SUMS_THREAD_JOB = 7;
export const SAME_SHAPE_BINARY_THREAD_JOB = 8;
export const COPY_RUNS_THREAD_JOB = 9;
export const MAX_POOL_GRAD_THREAD_JOB = 10;
export const WINOGRAD_THREAD_JOB = 11;
