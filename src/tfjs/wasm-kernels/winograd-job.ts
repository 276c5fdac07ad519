// One Winograd F(2x2, 3x3) convolution (winograd-conv.ts) as a job that threads share, in
// blocks of tiles small enough that a block's 16 planes stay in the L2 cache from the
// transform into them, through the 16 matrix products, to the transform out of them:
//   output:         y (or dx) tiles = A^T [U . (B^T d B)] A, the products by rowScatter
//   filterGradient: sum over tiles of (B^T d B) (outer) (A dy A^T), by outerAccumulate, into
//                   one accumulator [16][ci][co] per part (winograd-conv.ts adds them in order)
// Parts take contiguous ranges of tiles. An output tile's pixels are written by one part
// only, each summed over the channels in one order, so the bits do not depend on the parts;
// the filter gradient's parts are fixed by the shape (winogradFilterChunks), as the direct
// kernel's are. Plain numbers, so that the job travels to the kernel threads in an Int32Array.
// Imports types only: kernel-thread-worker.ts runs this without TensorFlow.js.
import type { SimdKernels } from "../wasm-simd/load";
import { partRange } from "./part-range";

export const WINOGRAD_JOB_KINDS = ["output", "filterGradient"] as const;
export type WinogradJobKind = (typeof WINOGRAD_JOB_KINDS)[number];

/** The 16 planes of a tile: F(2x2, 3x3) works on 4x4 patches. */
export const PLANES = 16;

export interface WinogradJob {
  kind: WinogradJobKind;
  batch: number;
  /** The image the 4x4 patches come from (x; dy for an input gradient), [batch, height, width, channels]. */
  height: number;
  width: number;
  channels: number;
  padTop: number;
  padLeft: number;
  /** The tiled side: y or dx (output), dy (filterGradient), [batch, outHeight, outWidth, outChannels]. */
  outHeight: number;
  outWidth: number;
  outChannels: number;
  /** Byte addresses: the patches' image, dy (filterGradient), U [16][channels][outChannels] or the accumulators, y or dx. */
  srcAt: number;
  gradAt: number;
  filterAt: number;
  outAt: number;
  /** Each part's scratch (winogradScratchFloats) from scratchAt, and a row of zeros (max channels) at zerosAt. */
  scratchAt: number;
  zerosAt: number;
  blockTiles: number;
  /** Whether the GEMM kernels with fused multiply-adds run (the threads must use the main thread's build). */
  fused: boolean;
}

const F32 = 4;

/** Tiles of 2x2 output pixels: rows, columns, and all of the batch's. */
export function winogradTiles(job: Pick<WinogradJob, "batch" | "outHeight" | "outWidth">): {
  tilesY: number;
  tilesX: number;
  total: number;
} {
  const tilesY = Math.ceil(job.outHeight / 2),
    tilesX = Math.ceil(job.outWidth / 2);
  return { tilesY, tilesX, total: job.batch * tilesY * tilesX };
}

/**
 * Floats between the starts of two planes of `channels` per tile: one cache line more than
 * the block's, so that the 16 planes a tile is written to do not start a multiple of 4 KiB
 * apart. Power-of-two planes all fell in the same sets of the L1 cache and of the store
 * buffer's 4 KiB address check: the gather ran 2-4x slower.
 */
function planeFloats(tiles: number, channels: number): number {
  return tiles * channels + 16;
}

/** One part's scratch in floats: a block's planes of both sides, its 16 segments, and a row to write outside pixels to. */
export function winogradScratchFloats(job: Pick<WinogradJob, "blockTiles" | "channels" | "outChannels">): number {
  const { blockTiles: T, channels, outChannels } = job;
  return PLANES * (planeFloats(T, channels) + planeFloats(T, outChannels)) + PLANES * 3 + outChannels;
}

/** Runs part `part` of `parts` of the job with `kernels` (bound to `memory`). */
export function runWinogradPart(kernels: SimdKernels, memory: WebAssembly.Memory, job: WinogradJob, part: number, parts: number): void {
  const { channels: C, outChannels: co, blockTiles: T } = job;
  const { tilesY, tilesX, total } = winogradTiles(job);
  // Whole GEMM tiles of 4 rows each; a part's blocks start at its first tile.
  const [t0, t1] = partRange(total, part, parts, 4);
  if (t1 <= t0) return;
  const scratch = job.scratchAt + part * winogradScratchFloats(job) * F32;
  const planesIn = scratch,
    planesOut = planesIn + PLANES * planeFloats(T, C) * F32,
    segments = planesOut + PLANES * planeFloats(T, co) * F32,
    trash = segments + PLANES * 3 * F32;
  const list = new Int32Array(memory.buffer, segments, PLANES * 3);
  const pairBytes = C * co * F32;
  for (let b = t0; b < t1; b += T) {
    const count = Math.min(T, t1 - b);
    const [inPlane, outPlane] = [planeFloats(count, C) * F32, planeFloats(count, co) * F32];
    kernels.winogradGatherInput(
      job.srcAt,
      job.height,
      job.width,
      C,
      job.padTop,
      job.padLeft,
      tilesY,
      tilesX,
      b,
      count,
      planesIn,
      inPlane,
      job.zerosAt,
    );
    for (let p = 0; p < PLANES; p++) list.set([planesIn + p * inPlane, planesOut + p * outPlane, count], 3 * p);
    if (job.kind === "output") {
      // M[p] = V[p] (count x C) times U[p] (C x co), stored, then its 2x2 pixels.
      for (let p = 0; p < PLANES; p++)
        kernels.rowScatterColumns(segments + 12 * p, 1, co * F32, C * F32, job.filterAt + p * pairBytes, co * F32, C, 0, co, 4, 1);
      kernels.winogradScatterOutput(planesOut, outPlane, co, tilesY, tilesX, b, count, job.outAt, job.outHeight, job.outWidth, trash);
    } else {
      // acc[p] (C x co) += V[p]^T Z[p], Z = A dy A^T of the same tiles.
      kernels.winogradGatherGrad(
        job.gradAt,
        job.outHeight,
        job.outWidth,
        co,
        0,
        0,
        tilesY,
        tilesX,
        b,
        count,
        planesOut,
        outPlane,
        job.zerosAt,
      );
      const acc = job.filterAt + part * PLANES * pairBytes;
      for (let p = 0; p < PLANES; p++)
        kernels.outerAccumulateBlock(acc + p * pairBytes, co * F32, segments + 12 * p, 1, C * F32, co * F32, 0, C, 0, co);
    }
  }
}

const NUMBER_KEYS = [
  "batch",
  "height",
  "width",
  "channels",
  "padTop",
  "padLeft",
  "outHeight",
  "outWidth",
  "outChannels",
  "srcAt",
  "gradAt",
  "filterAt",
  "outAt",
  "scratchAt",
  "zerosAt",
  "blockTiles",
] as const;
/** Int32 values of an encoded job. */
export const WINOGRAD_JOB_LENGTH = 2 + NUMBER_KEYS.length;

/** The job as int32s (addresses wrap above 2 GiB, pads may be negative; decodeWinogradJob reads addresses unsigned). */
export function encodeWinogradJob(job: WinogradJob, into: Int32Array): void {
  into.set([WINOGRAD_JOB_KINDS.indexOf(job.kind), job.fused ? 1 : 0, ...NUMBER_KEYS.map((k) => job[k])]);
}

export function decodeWinogradJob(from: Int32Array): WinogradJob {
  const numbers = Object.fromEntries(NUMBER_KEYS.map((k, i) => [k, k.endsWith("At") ? from[2 + i] >>> 0 : from[2 + i]])) as unknown as Omit<
    WinogradJob,
    "kind" | "fused"
  >;
  return { kind: WINOGRAD_JOB_KINDS[from[0]], fused: from[1] === 1, ...numbers };
}
