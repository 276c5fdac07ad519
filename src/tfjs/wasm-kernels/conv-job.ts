// One SIMD convolution (forward, input gradient or filter gradient) as a job that threads
// share: each part runs the walk (conv-row-runs.ts) for its own images (forward and input
// gradient, where the batch has an image for every part: each part then reads only its
// images, and its tiles keep every channel) or for its own range of channels (the whole walk),
// so no two parts write the same value and each value is summed in the order one thread sums
// it. A filter gradient may instead sum fixed chunks of the images, each into its own copy of
// dW (filterGradientImageChunks): the chunks depend on the shape only, so the bits do not
// depend on the threads. The job is plain numbers, so that it travels to the kernel threads (kernel-threads.ts)
// in a shared Int32Array; the main thread takes parts as the threads do.
// Imports types only: kernel-thread-worker.ts runs this without TensorFlow.js.
import type { ConvGeometry } from "./conv-geometry";
import { CONV_GEOMETRY_KEYS, walkConvSegments } from "./conv-row-runs";
import type { SimdKernels } from "../wasm-simd/load";
import { partRange } from "./part-range";

/**
 * forward: y += x under each pixel times W (channels split: co, y's columns).
 * inputGradient: dx rows += dy times W transposed (ci, dx's channels: rows of dx overlap, their channels do not).
 * filterGradient: dW[i] ([kw*ci, co]) += x rows (outer) dy rows (co, dW's columns).
 * filterGradientTransposed: dW[i] as [co, kw*ci] (co % 4 != 0) (co, the accumulator's rows).
 */
export const CONV_JOB_KINDS = ["forward", "inputGradient", "filterGradient", "filterGradientTransposed"] as const;
export type ConvJobKind = (typeof CONV_JOB_KINDS)[number];

export interface ConvJob {
  kind: ConvJobKind;
  g: ConvGeometry;
  outChannels: number;
  /** Byte addresses on the heap: x or dx, y or dy, and the filter side (W, W transposed, or dW's accumulator). */
  inputAt: number;
  outputAt: number;
  filterAt: number;
  rowsPerChunk: number;
  /** rowScatter's pixels per tile (1 where dx's rows overlap within 8 columns). */
  rowsPerTile: number;
  /** Whether the kernels with fused multiply-adds run (the threads must use the build the main thread uses). */
  fused: boolean;
  /**
   * Whether parts split the images rather than the channels: forward and input gradient; and
   * the filter gradients in filterGradientImageChunks' chunks, part p into the p-th copy of the
   * accumulator (filterAt + p * its bytes).
   */
  splitImages: boolean;
  /**
   * Whether each part first zeroes its images of the tensor the job sums into (y or dx), so that
   * the zeroing runs on the threads too. Only where every part has whole images (run-conv-job.ts).
   */
  zeroWritten: boolean;
  /** Whether rowScatter stores its products rather than adding them (convJobStores: then nothing needs zeroing). */
  stores: boolean;
  /** Segment lists: part p's starts at segmentsAt + p * segmentsLength * 4. */
  segmentsAt: number;
  segmentsLength: number;
}

const F32 = 4;

/** The channels a job's parts split, and the unit they split them in (vectors the kernels' tiles take). */
function splitChannels(job: Pick<ConvJob, "kind" | "g" | "outChannels">): { channels: number; unit: number } {
  const channels = job.kind === "inputGradient" ? job.g.inChannels : job.outChannels;
  if (job.kind === "filterGradientTransposed") return { channels, unit: 4 }; // rows of the accumulator, 4 per tile
  return { channels, unit: channels % 8 === 0 ? 8 : 4 };
}

type ImageOutputJob = Pick<ConvJob, "g" | "outChannels" | "inputAt" | "outputAt">;

/**
 * The kinds whose output is per image (y, dx), with where it starts and its floats per image:
 * their parts can split the images, and then write disjoint images of the output.
 */
const IMAGE_OUTPUTS: Partial<Record<ConvJobKind, (job: ImageOutputJob) => [number, number]>> = {
  forward: (job) => [job.outputAt, job.g.outHeight * job.g.outWidth * job.outChannels],
  inputGradient: (job) => [job.inputAt, job.g.inHeight * job.g.inWidth * job.g.inChannels],
};

/** Whether a job of this kind can split its images. */
export function convJobSplitsImages(kind: ConvJobKind): boolean {
  return IMAGE_OUTPUTS[kind] !== undefined;
}

/**
 * The filter gradient's split: up to this many chunks of images, while each keeps at least
 * `minFlops` of work and `minPixels` output pixels, and all the copies of dW together stay
 * within `maxCopyFloats` (they are zeroed and added). Each chunk reads and writes its copy of
 * dW as it sums, 2 flops per pixel per value of dW, so small chunks lose on that traffic
 * what they gain (one kernel timed alone on 2 threads: 8 images of 10x10 for a
 * 3x3 64->64 filter took 0.80 ms split by channels, 0.91 in 3 chunks of 267 pixels; 32 of
 * 8x8 for 3x3 32->64 took 1.06 by channels, 0.95 in 4 chunks of 512).
 */
export const filterImageChunks = { max: 8, minFlops: 8e6, minPixels: 512, maxCopyFloats: 512 * 1024 };

/**
 * How many chunks of images the filter gradient of this shape sums separately (1: none), from
 * the shape alone. Split by channels, every part reads all of x and dy: on the small
 * classifier's and YOLOv5n's shallow layers that scaled 1.1-1.4x on 2 threads.
 */
export function filterGradientImageChunks(g: ConvGeometry, outChannels: number): number {
  const copy = g.filterHeight * g.filterWidth * g.inChannels * outChannels;
  const pixels = g.batch * g.outHeight * g.outWidth;
  return accumulatorChunks(pixels, 2 * pixels * copy, copy, Math.min(g.batch, filterImageChunks.max));
}

/**
 * The most chunks, up to `most`, a sum into copies of an accumulator (`copyFloats` each) is
 * cut into under filterImageChunks' rule: each chunk keeps minPixels output pixels and
 * minFlops of the `flops`, and all the copies stay within maxCopyFloats. Also Winograd's
 * filter gradient's (winograd-conv.ts).
 */
export function accumulatorChunks(pixels: number, flops: number, copyFloats: number, most: number): number {
  const { minFlops, minPixels, maxCopyFloats } = filterImageChunks;
  const fits = (chunks: number) => pixels / chunks >= minPixels && flops / chunks >= minFlops && copyFloats * chunks <= maxCopyFloats;
  let chunks = most;
  while (chunks > 1 && !fits(chunks)) chunks--;
  return chunks;
}

/** The most parts a job splits its channels into: one unit of channels each. */
export function maxConvJobParts(job: Pick<ConvJob, "kind" | "g" | "outChannels">): number {
  const { channels, unit } = splitChannels(job);
  return Math.max(1, Math.floor(channels / unit));
}

/** Channels [c0, c1) of part `part` of `parts`: whole units, the remainder (not a multiple of 4) with the last. */
export function convJobChannels(job: ConvJob, part: number, parts: number): [number, number] {
  const { channels, unit } = splitChannels(job);
  const units = Math.floor(channels / unit);
  const c0 = unit * Math.floor((units * part) / parts);
  const c1 = part === parts - 1 ? channels : unit * Math.floor((units * (part + 1)) / parts);
  return [c0, c1];
}

/**
 * Whether one segment covers every value of the job's output exactly once, so that the
 * kernel can store its products into memory nothing zeroed: 1x1 filters without padding,
 * forward at any stride, the input gradient at stride 1 (at stride 2 some dx pixels take no
 * product). On YOLOv5n's 1x1 shapes that drops a pass over the output and the read of it.
 */
export function convJobStores(kind: ConvJobKind, g: ConvGeometry): boolean {
  if (g.filterHeight !== 1 || g.filterWidth !== 1 || g.padTop !== 0 || g.padLeft !== 0) return false;
  if (kind === "forward") return true;
  return kind === "inputGradient" && g.strideHeight === 1 && g.strideWidth === 1;
}

/** Zeroes images [n0, n1) of the tensor a forward (y) or input-gradient (dx) job sums into. */
export function zeroWrittenImages(
  memory: WebAssembly.Memory,
  job: Pick<ConvJob, "kind" | "g" | "outChannels" | "inputAt" | "outputAt">,
  [n0, n1]: [number, number],
): void {
  const output = IMAGE_OUTPUTS[job.kind];
  if (!output) throw new Error(`a ${job.kind} convolution job has no images to zero`);
  const [at, perImage] = output(job);
  new Float32Array(memory.buffer, at + n0 * perImage * F32, (n1 - n0) * perImage).fill(0);
}

/** Runs part `part` of `parts` of the job with `kernels` (bound to `memory`). */
export function runConvJobPart(kernels: SimdKernels, memory: WebAssembly.Memory, job: ConvJob, part: number, parts: number): void {
  const { g, outChannels: co, inputAt, outputAt, rowsPerChunk, rowsPerTile } = job;
  const { inChannels: C, filterWidth: kw, strideWidth: sw } = g;
  // A filter gradient split by images sums into copy `part` of its accumulator.
  const copyBytes = g.filterHeight * kw * C * co * F32;
  const filterAt = job.splitImages && !convJobSplitsImages(job.kind) ? job.filterAt + part * copyBytes : job.filterAt;
  const images = job.splitImages ? partRange(g.batch, part, parts, 1) : ([0, g.batch] as [number, number]);
  const [c0, c1] = job.splitImages ? [0, splitChannels(job).channels] : convJobChannels(job, part, parts);
  if (c1 <= c0 || images[1] <= images[0]) return;
  if (job.zeroWritten) zeroWrittenImages(memory, job, images);
  const whole = c0 === 0 && c1 === splitChannels(job).channels;
  const list = new Int32Array(memory.buffer, job.segmentsAt + part * job.segmentsLength * F32, job.segmentsLength);
  const rowLength = kw * C;
  const xStride = sw * C * F32,
    dyStride = co * F32;
  switch (job.kind) {
    case "forward":
      // y's pixels += the input under them times W[i][j0*C .. (j0 + filterColumns)*C, c0 .. c1).
      walkConvSegments(
        list,
        g,
        rowsPerChunk,
        { inputAt, outputAt, outChannels: co, inputFirst: true },
        (segments, i, j0, filterColumns) =>
          kernels.rowScatterColumns(
            segments.address,
            segments.count,
            co * F32,
            xStride,
            filterAt + (i * kw + j0) * C * co * F32,
            co * F32,
            filterColumns * C,
            c0,
            c1,
            rowsPerTile,
            job.stores ? 1 : 0,
          ),
        images,
      );
      return;
    case "inputGradient":
      // dx's rows under the listed pixels += dy's pixels times Wt[i][:, j0*C .. (j0 + filterColumns)*C),
      // each filter column's channels c0 .. c1 (all of them at once when the part has every channel).
      walkConvSegments(
        list,
        g,
        rowsPerChunk,
        { inputAt, outputAt, outChannels: co, inputFirst: false },
        (segments, i, j0, filterColumns) => {
          const b = filterAt + (i * co * rowLength + j0 * C) * F32;
          if (whole) {
            kernels.rowScatterColumns(
              segments.address,
              segments.count,
              xStride,
              dyStride,
              b,
              rowLength * F32,
              co,
              0,
              filterColumns * C,
              rowsPerTile,
              job.stores ? 1 : 0,
            );
            return;
          }
          for (let j = 0; j < filterColumns; j++) {
            kernels.rowScatterColumns(
              segments.address,
              segments.count,
              xStride,
              dyStride,
              b,
              rowLength * F32,
              co,
              j * C + c0,
              j * C + c1,
              rowsPerTile,
              job.stores ? 1 : 0,
            );
          }
        },
        images,
      );
      return;
    case "filterGradient":
      // dW[i, j0 .. j0 + filterColumns, :, c0 .. c1) += the listed rows of x (outer) dy.
      walkConvSegments(
        list,
        g,
        rowsPerChunk,
        { inputAt, outputAt, outChannels: co, inputFirst: true },
        (segments, i, j0, filterColumns) =>
          kernels.outerAccumulateBlock(
            filterAt + (i * rowLength + j0 * C) * co * F32,
            co * F32,
            segments.address,
            segments.count,
            xStride,
            dyStride,
            0,
            filterColumns * C,
            c0,
            c1,
          ),
        images,
      );
      return;
    case "filterGradientTransposed":
      // acc[i, c0 .. c1, j0*C ..] += the listed rows of dy (outer) x.
      walkConvSegments(
        list,
        g,
        rowsPerChunk,
        { inputAt, outputAt, outChannels: co, inputFirst: false },
        (segments, i, j0, filterColumns) =>
          kernels.outerAccumulateBlock(
            filterAt + (i * co * rowLength + j0 * C) * F32,
            rowLength * F32,
            segments.address,
            segments.count,
            dyStride,
            xStride,
            c0,
            c1,
            0,
            filterColumns * C,
          ),
        images,
      );
      return;
  }
}

/** Int32 values of an encoded job. */
export const CONV_JOB_LENGTH = 1 + CONV_GEOMETRY_KEYS.length + 12;

/** The job as int32s (addresses wrap above 2 GiB; decodeConvJob reads them unsigned). */
export function encodeConvJob(job: ConvJob, into: Int32Array, at = 0): void {
  into.set(
    [
      CONV_JOB_KINDS.indexOf(job.kind),
      ...CONV_GEOMETRY_KEYS.map((k) => job.g[k]),
      job.outChannels,
      job.inputAt,
      job.outputAt,
      job.filterAt,
      job.rowsPerChunk,
      job.rowsPerTile,
      job.fused ? 1 : 0,
      job.splitImages ? 1 : 0,
      job.zeroWritten ? 1 : 0,
      job.segmentsAt,
      job.segmentsLength,
      job.stores ? 1 : 0,
    ],
    at,
  );
}

export function decodeConvJob(from: Int32Array, at = 0): ConvJob {
  const v = (i: number) => from[at + i];
  const g = Object.fromEntries(CONV_GEOMETRY_KEYS.map((k, i) => [k, v(1 + i)])) as unknown as ConvGeometry;
  const o = 1 + CONV_GEOMETRY_KEYS.length;
  return {
    kind: CONV_JOB_KINDS[v(0)],
    g,
    outChannels: v(o),
    inputAt: v(o + 1) >>> 0,
    outputAt: v(o + 2) >>> 0,
    filterAt: v(o + 3) >>> 0,
    rowsPerChunk: v(o + 4),
    rowsPerTile: v(o + 5),
    fused: v(o + 6) === 1,
    splitImages: v(o + 7) === 1,
    zeroWritten: v(o + 8) === 1,
    segmentsAt: v(o + 9) >>> 0,
    segmentsLength: v(o + 10),
    stores: v(o + 11) === 1,
  };
}
