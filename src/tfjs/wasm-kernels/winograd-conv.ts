// 3x3 stride-1 convolutions on wasm by Winograd's F(2x2, 3x3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2015): forward, input gradient and filter
// gradient. Each 2x2 block of output pixels is 16 products per channel pair instead of the
// direct sum's 36; the products are matrix products over channels, which our GEMM kernels
// run at the speed the direct ones reach on deep rows (winograd-job.ts, wasm-simd/winograd-wat.ts).
//   forward:         y  = A^T [(G W G^T) . (B^T x B)] A                     (pads pt, pl)
//   input gradient:  dx = the same over dy, with W flipped and its channels swapped (pads 2-pt, 2-pl)
//   filter gradient: dW = G^T [sum over tiles (B^T x B) . (A dy A^T)] G
// The transforms' coefficients are 0, +-1 and 1/2, so the results differ from the direct
// sums' by a few float32 roundings (the tests bound them against float64).
import type { ConvGeometry } from "./conv-geometry";
import type { Info, KernelCalls } from "./kernel-calls";
import { singleThreadOrKernelThreads, convThreads } from "./run-conv-job";
import { kernelThreadsFor } from "./kernel-threads";
import { WINOGRAD_THREAD_JOB } from "./thread-jobs";
import { accumulatorChunks, filterImageChunks } from "./conv-job";
import {
  type WinogradJob,
  PLANES,
  WINOGRAD_JOB_LENGTH,
  encodeWinogradJob,
  runWinogradPart,
  winogradScratchFloats,
  winogradTiles,
} from "./winograd-job";
import { type SimdKernels, simdKernelsFused } from "../wasm-simd/load";

/** Set to 0, the direct kernels run every convolution (their rounding, or to compare timings). */
export const WINOGRAD_ENV_VAR = "TFJS_LAB_WINOGRAD";

/**
 * Switches for tests and benchmarks (`enabled` from TFJS_LAB_WINOGRAD at load). `blockBytes`: a block's planes (both sides), which
 * should stay in the L2 cache between the transforms and the products; `maxBlockTiles`,
 * `minBlockTiles`: the bounds of a block in tiles. Few tiles a block leave the products
 * short rows of B to reuse; timed alone on YOLOv5n's 3x3 shapes (one thread), blocks of
 * 64-256 tiles ran best, and 16-32 up to 1.4x slower.
 */
export const winogradConv = {
  enabled: process.env[WINOGRAD_ENV_VAR] !== "0",
  blockBytes: 1024 * 1024,
  minBlockTiles: 64,
  maxBlockTiles: 256,
};

const F32 = 4;

/** G (4x3), G with its columns reversed (the flipped filter of the input gradient), and G^T (3x4). */
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];
const G_FLIPPED = G.map((row) => [...row].reverse());
const G_T = G[0].map((_, c) => G.map((row) => row[c]));
const COEFS = { g: G.flat(), flipped: G_FLIPPED.flat(), transposed: G_T.flat() };

/** 3x3, stride 1, channels in vectors of 4 on both sides, and our kernels on every thread the backend has. */
export function winogradApplies(calls: KernelCalls, g: ConvGeometry, outChannels: number): boolean {
  return (
    winogradConv.enabled &&
    calls.hasHeap &&
    g.filterHeight === 3 &&
    g.filterWidth === 3 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.inChannels % 4 === 0 &&
    outChannels % 4 === 0 &&
    g.batch * g.outHeight * g.outWidth * g.inHeight * g.inWidth * g.inChannels * outChannels > 0 &&
    singleThreadOrKernelThreads(calls.wasmMemory) &&
    calls.simd !== undefined
  );
}

/** Tiles per block: both sides' 16 planes within blockBytes, a multiple of 4 (the GEMM tiles' pixels). */
function blockTiles(channels: number, outChannels: number, total: number): number {
  const { blockBytes, minBlockTiles, maxBlockTiles } = winogradConv;
  const fit = Math.floor(blockBytes / (PLANES * (channels + outChannels) * F32));
  const tiles = Math.min(Math.max(minBlockTiles, Math.min(maxBlockTiles, fit)), Math.ceil(total / 4) * 4);
  return Math.max(4, tiles - (tiles % 4));
}

/**
 * The filter gradient's parts, from the shape alone (so the bits do not depend on the
 * threads): the direct kernel's rule (conv-job.ts) with tiles of 4 pixels and 16 planes.
 */
export function winogradFilterChunks(total: number, channels: number, outChannels: number): number {
  const copy = PLANES * channels * outChannels;
  return accumulatorChunks(4 * total, 2 * total * copy, copy, filterImageChunks.max);
}

/** dst [rowsOut][rowsOut][pairs] = M src M^T for src [rowsIn][rowsIn][pairs] (M: rowsOut x rowsIn at coefs), through between. */
function mapFilter(
  simd: SimdKernels,
  src: number,
  dst: number,
  between: number,
  coefs: number,
  rowsOut: number,
  rowsIn: number,
  pairs: number,
): void {
  const run = pairs * F32;
  for (let j = 0; j < rowsIn; j++)
    simd.winogradFilterMap(src + j * run, rowsIn * run, between + j * run, rowsIn * run, coefs, rowsOut, rowsIn, pairs);
  for (let r = 0; r < rowsOut; r++)
    simd.winogradFilterMap(between + r * rowsIn * run, run, dst + r * rowsOut * run, run, coefs, rowsOut, rowsIn, pairs);
}

type Side = Pick<WinogradJob, "height" | "width" | "channels" | "padTop" | "padLeft" | "outHeight" | "outWidth" | "outChannels">;

/** Heap addresses a job reads and writes (a tensor's address holds while it lives; views of the heap do not). */
type Buffers = Pick<WinogradJob, "srcAt" | "gradAt" | "filterAt" | "outAt">;

/** Runs one job over every tile of `side` in `parts` parts, on the kernel threads where there are several. */
function runWinograd(calls: KernelCalls, kind: WinogradJob["kind"], batch: number, side: Side, buffers: Buffers, parts: number): void {
  const { total } = winogradTiles({ batch, outHeight: side.outHeight, outWidth: side.outWidth });
  const T = blockTiles(side.channels, side.outChannels, total);
  calls.scoped((tmp) => {
    const perPart = winogradScratchFloats({ blockTiles: T, channels: side.channels, outChannels: side.outChannels });
    const zeros = Math.max(side.channels, side.outChannels);
    const scratchAt = calls.heap(tmp(calls.alloc([parts * perPart + zeros]))).byteOffset;
    const zerosAt = scratchAt + parts * perPart * F32;
    calls.simd!.zeroBytes(zerosAt, zeros * F32);
    const job: WinogradJob = { kind, batch, ...side, ...buffers, scratchAt, zerosAt, blockTiles: T, fused: simdKernelsFused() };
    const memory = calls.wasmMemory!;
    const pool = kernelThreadsFor(memory);
    if (parts === 1 || !pool) {
      for (let part = 0; part < parts; part++) runWinogradPart(calls.simd!, memory, job, part, parts);
      return;
    }
    const payload = new Int32Array(WINOGRAD_JOB_LENGTH);
    encodeWinogradJob(job, payload);
    pool.run(WINOGRAD_THREAD_JOB, payload, parts, (part) => runWinogradPart(calls.simd!, memory, job, part, parts));
  });
}

/** A small matrix of coefficients on the heap, for winogradFilterMap. */
function coefficients(calls: KernelCalls, tmp: (i: Info) => Info, values: number[]): number {
  const info = tmp(calls.alloc([values.length]));
  const heap = calls.heap(info);
  heap.set(values);
  return heap.byteOffset;
}

/** Parts for an output job: one per thread while each keeps about convThreads.minFlopsPerPart of products. */
function outputParts(calls: KernelCalls, batch: number, side: Side): number {
  const pool = kernelThreadsFor(calls.wasmMemory);
  if (!pool) return 1;
  const { total } = winogradTiles({ batch, outHeight: side.outHeight, outWidth: side.outWidth });
  const flops = 2 * PLANES * total * side.channels * side.outChannels;
  const blocks = Math.ceil(total / blockTiles(side.channels, side.outChannels, total));
  return Math.max(1, Math.min(pool.threads, blocks, Math.floor(flops / convThreads.minFlopsPerPart), convThreads.maxParts));
}

/** y (or dx) = the Winograd convolution of `src` with `filter` [3, 3, channels, outChannels], transformed by `coefs` (G or G flipped). */
function winogradOutput(calls: KernelCalls, src: Info, filter: Info, batch: number, side: Side, coefs: number[]): Info {
  const pairs = side.channels * side.outChannels;
  return calls.scoped((tmp) => {
    const u = calls.heap(tmp(calls.alloc([PLANES * pairs]))).byteOffset;
    const between = calls.heap(tmp(calls.alloc([12 * pairs]))).byteOffset;
    mapFilter(calls.simd!, calls.heap(filter).byteOffset, u, between, coefficients(calls, tmp, coefs), 4, 3, pairs);
    const out = calls.alloc([batch, side.outHeight, side.outWidth, side.outChannels]);
    const buffers = { srcAt: calls.heap(src).byteOffset, gradAt: 0, filterAt: u, outAt: calls.heap(out).byteOffset };
    runWinograd(calls, "output", batch, side, buffers, outputParts(calls, batch, side));
    return out;
  });
}

/** The forward convolution's side: patches of x, tiles of y (the filter gradient's too, with dy for y). */
function forwardSide(g: ConvGeometry, outChannels: number): Side {
  const { inHeight: height, inWidth: width, inChannels: channels, padTop, padLeft, outHeight, outWidth } = g;
  return { height, width, channels, padTop, padLeft, outHeight, outWidth, outChannels };
}

export function winogradConv2d(calls: KernelCalls, x: Info, filter: Info, g: ConvGeometry): Info {
  return winogradOutput(calls, x, filter, g.batch, forwardSide(g, filter.shape[3]), COEFS.g);
}

/** dx: the forward convolution of dy (padded by 2 - pt, 2 - pl) with W flipped, [3, 3, co, ci]. */
export function winogradInputGradient(calls: KernelCalls, dy: Info, filter: Info, g: ConvGeometry): Info {
  const side: Side = {
    height: g.outHeight,
    width: g.outWidth,
    channels: dy.shape[3],
    padTop: 2 - g.padTop,
    padLeft: 2 - g.padLeft,
    outHeight: g.inHeight,
    outWidth: g.inWidth,
    outChannels: g.inChannels,
  };
  return calls.scoped((tmp) => {
    // The flip is in G's reversed columns; the channels' swap is this transpose.
    const swapped = tmp(calls.transpose(filter, [0, 1, 3, 2]));
    return winogradOutput(calls, dy, swapped, g.batch, side, COEFS.flipped);
  });
}

export function winogradFilterGradient(calls: KernelCalls, x: Info, dy: Info, g: ConvGeometry): Info {
  const co = dy.shape[3],
    C = g.inChannels,
    pairs = C * co;
  const side = forwardSide(g, co);
  const { total } = winogradTiles({ batch: g.batch, outHeight: g.outHeight, outWidth: g.outWidth });
  const chunks = winogradFilterChunks(total, C, co);
  return calls.scoped((tmp) => {
    const copy = PLANES * pairs;
    const accAt = calls.heap(tmp(calls.alloc([chunks * copy]))).byteOffset;
    const simd = calls.simd!;
    simd.zeroBytes(accAt, chunks * copy * F32);
    const buffers = { srcAt: calls.heap(x).byteOffset, gradAt: calls.heap(dy).byteOffset, filterAt: accAt, outAt: 0 };
    runWinograd(calls, "filterGradient", g.batch, side, buffers, chunks);
    // (copy 0 + copy 1) + copy 2 ...: in the 16-plane form, which is linear, then G^T . G once.
    for (let c = 1; c < chunks; c++) simd.addValues(accAt, accAt + c * copy * F32, accAt, copy);
    const between = calls.heap(tmp(calls.alloc([12 * pairs]))).byteOffset;
    const coefs = coefficients(calls, tmp, COEFS.transposed);
    const dw = calls.alloc([3, 3, C, co]);
    mapFilter(simd, accAt, calls.heap(dw).byteOffset, between, coefs, 3, 4, pairs);
    return dw;
  });
}
