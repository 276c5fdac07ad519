// How the SIMD convolution kernels (forward, input and filter gradients) walk a convolution
// (NHWC): by output row, filter row i, and runs of output pixels. For a pixel whose whole
// filter row lies inside the image, the kw*ci input values under it are contiguous (from
// column x*sw - pl); pixels at the left and right edges are taken one filter column j at a
// time. Each run becomes a segment: an (address, address, pixels) triple of i32 that the
// kernels in wasm-simd/ read.
// Imports types only: kernel threads (kernel-thread-worker.ts) run this walk without TensorFlow.js.
import type { ConvGeometry } from "./conv-geometry";

const F32 = 4;

/** A geometry's fields in a fixed order: the walk cache's key, and a job's encoding (conv-job.ts). */
export const CONV_GEOMETRY_KEYS = [
  "batch",
  "inHeight",
  "inWidth",
  "inChannels",
  "outHeight",
  "outWidth",
  "filterHeight",
  "filterWidth",
  "strideHeight",
  "strideWidth",
  "padTop",
  "padLeft",
] as const satisfies readonly (keyof ConvGeometry)[];

/** Output columns [xa, xb) whose whole filter row lies inside the image. */
export function interiorColumns(g: ConvGeometry): [number, number] {
  const xa = Math.min(g.outWidth, Math.max(0, Math.ceil(g.padLeft / g.strideWidth)));
  const xb = Math.max(xa, Math.min(g.outWidth, Math.floor((g.inWidth - g.filterWidth + g.padLeft) / g.strideWidth) + 1));
  return [xa, xb];
}

/** For filter column j: the output columns outside [xa, xb) whose input column x*sw + j - pl is inside. */
export function edgeRuns(g: ConvGeometry, j: number, [xa, xb]: [number, number]): [number, number][] {
  const { outWidth: ow, inWidth: W, strideWidth: sw, padLeft: pl } = g;
  const x0 = Math.min(ow, Math.max(0, Math.ceil((pl - j) / sw)));
  const x1 = Math.max(x0, Math.min(ow, Math.floor((W - 1 + pl - j) / sw) + 1));
  const runs: [number, number][] =
    xb > xa
      ? [
          [x0, xa],
          [xb, x1],
        ]
      : [[x0, x1]];
  return runs.filter(([s, e]) => e > s);
}

/** Calls f(n, yy, r) for the output rows r = n*oh + y in [r0, r1) whose input row yy = y*sh + i - pt is inside. */
export function forEachInputRow(g: ConvGeometry, i: number, r0: number, r1: number, f: (n: number, yy: number, r: number) => void): void {
  for (let r = r0; r < r1; r++) {
    const n = Math.floor(r / g.outHeight),
      yy = (r - n * g.outHeight) * g.strideHeight + i - g.padTop;
    if (yy >= 0 && yy < g.inHeight) f(n, yy, r);
  }
}

/**
 * The walk the SIMD convolution kernels make, `rowsPerChunk` output rows at a time: for each filter row
 * i, first the pixels whose whole filter row is inside (`addRun` for each output row, then
 * `flush(i, 0, kw)`), then for each filter column j the edge pixels (`flush(i, j, 1)`).
 * addRun(n, yy, xx, r, xo, pixels): `pixels` output pixels of output row r from column xo,
 * reading input row yy of image n from column xx. flush(i, j0, filterColumns): the runs added
 * so far cover filter row i, columns j0 .. j0 + filterColumns.
 * `images`: walk only output rows of images [n0, n1). The chunks stay where the whole walk
 * puts them (cut at n0 and n1), so every value is summed in the same order as in the whole walk.
 */
export function walkConvRuns(
  g: ConvGeometry,
  rowsPerChunk: number,
  addRun: (n: number, yy: number, xx: number, r: number, xo: number, pixels: number) => void,
  flush: (i: number, j0: number, filterColumns: number) => void,
  [n0, n1]: [number, number] = [0, g.batch],
): void {
  const { outHeight: oh, filterHeight: kh, filterWidth: kw, strideWidth: sw, padLeft: pl } = g;
  const interior = interiorColumns(g);
  const [xa, xb] = interior;
  const edges = Array.from({ length: kw }, (_, j) => edgeRuns(g, j, interior));
  const [rBegin, rEnd] = [n0 * oh, n1 * oh];
  for (let chunk = Math.floor(rBegin / rowsPerChunk) * rowsPerChunk; chunk < rEnd; chunk += rowsPerChunk) {
    const r0 = Math.max(rBegin, chunk),
      r1 = Math.min(rEnd, chunk + rowsPerChunk);
    for (let i = 0; i < kh; i++) {
      forEachInputRow(g, i, r0, r1, (n, yy, r) => addRun(n, yy, xa * sw - pl, r, xa, xb - xa));
      flush(i, 0, kw);
      edges.forEach((runs, j) => {
        forEachInputRow(g, i, r0, r1, (n, yy, r) => {
          for (const [s, e] of runs) addRun(n, yy, s * sw + j - pl, r, s, e - s);
        });
        flush(i, j, 1);
      });
    }
  }
}

/** Output rows per call, so that what one call reads (`bytesPerRow` each) stays in the L2 cache. */
export function rowsPerCall(chunkBytes: number, bytesPerRow: number): number {
  return Math.max(1, Math.floor(chunkBytes / bytesPerRow));
}

/** Segments written into an Int32Array on the heap; a run that continues the last one in both operands extends it. */
export class SegmentList {
  count = 0;
  constructor(
    private readonly view: Int32Array,
    private readonly strideFirst: number,
    private readonly strideSecond: number,
  ) {}

  add(first: number, second: number, pixels: number): void {
    if (pixels <= 0) return;
    const v = this.view,
      last = 3 * (this.count - 1);
    // Addresses above 2 GiB read back negative from the Int32Array: compare them unsigned.
    if (
      this.count > 0 &&
      (v[last] >>> 0) + v[last + 2] * this.strideFirst === first &&
      (v[last + 1] >>> 0) + v[last + 2] * this.strideSecond === second
    ) {
      v[last + 2] += pixels;
      return;
    }
    v[3 * this.count] = first;
    v[3 * this.count + 1] = second;
    v[3 * this.count + 2] = pixels;
    this.count++;
  }
  /** Byte address of the list, for the kernels. */
  get address(): number {
    return this.view.byteOffset;
  }
}

/**
 * Where a convolution's runs lie on the wasm heap: the input side (x or dx; a run starts at
 * image n, row yy, column xx) and the output side (y or dy; output row r, column xo), as byte
 * addresses of the tensors' first values. `inputFirst`: whether segments list the input side's
 * address first (the operand the kernel splats or reads as A) or the output side's.
 */
export interface ConvOperands {
  inputAt: number;
  outputAt: number;
  outChannels: number;
  inputFirst: boolean;
}

/** Int32 values of the segment list one walk needs: at most two runs (left and right edge) per output row. */
export function segmentListLength(g: ConvGeometry, rowsPerChunk: number): number {
  return Math.min(g.batch * g.outHeight, rowsPerChunk) * 2 * 3;
}

/** The kernel's view of one flush's segments: where the list is and how many triples it holds. */
export interface Segments {
  address: number;
  count: number;
}

/**
 * One walk's segments relative to the operands' first values (as if both were at address 0),
 * and its flushes in order as (i, j0, filterColumns, segments) quadruples. A run merges with the
 * last one whatever the base addresses, so the walk of a geometry is the same list with the
 * bases added.
 */
interface RecordedWalk {
  segments: Int32Array;
  flushes: Int32Array;
}

/**
 * Recorded walks by geometry, chunking, operands' shape and images, oldest first; at most
 * walkCache.maxValues int32s in all (each thread has its own). Walking YOLOv5n's step in JS
 * took about 2% of it; replaying a recorded walk is a copy. A step's walks took 2.2 MiB for
 * YOLOv5n at batch 8, 320 px; they grow with the output rows (batch x height; 3x3 stride-1
 * convolutions run as Winograd, without a walk), so batch 32 at 640 px would need about 8 times
 * that. 32 MiB keeps them: walks evicted oldest-first in a loop larger than the cache would
 * never be found again.
 */
export const walkCache = { maxValues: 8 * 1024 * 1024, values: 0, walks: new Map<string, RecordedWalk>() };

/** What a walk depends on besides the operands' addresses: the cache's key. */
interface WalkOf {
  g: ConvGeometry;
  rowsPerChunk: number;
  outChannels: number;
  inputFirst: boolean;
  images: [number, number];
}

/** The int32s a recorded walk holds (what walkCache.values counts). */
function walkValues(walk: RecordedWalk): number {
  return walk.segments.length + walk.flushes.length;
}

function recordWalk({ g, rowsPerChunk, outChannels, inputFirst, images }: WalkOf): RecordedWalk {
  const { inHeight: H, inWidth: W, inChannels: C, outWidth: ow, strideWidth: sw } = g;
  const inputStride = sw * C * F32,
    outputStride = outChannels * F32;
  const view = new Int32Array(segmentListLength(g, rowsPerChunk));
  const list = inputFirst ? new SegmentList(view, inputStride, outputStride) : new SegmentList(view, outputStride, inputStride);
  const segments: number[] = [],
    flushes: number[] = [];
  walkConvRuns(
    g,
    rowsPerChunk,
    (n, yy, xx, r, xo, pixels) => {
      const input = ((n * H + yy) * W + xx) * C * F32,
        output = (r * ow + xo) * outChannels * F32;
      if (inputFirst) list.add(input, output, pixels);
      else list.add(output, input, pixels);
    },
    (i, j0, filterColumns) => {
      if (list.count === 0) return;
      for (let k = 0; k < 3 * list.count; k++) segments.push(view[k]);
      flushes.push(i, j0, filterColumns, list.count);
      list.count = 0;
    },
    images,
  );
  return { segments: Int32Array.from(segments), flushes: Int32Array.from(flushes) };
}

function cachedWalk(of: WalkOf): RecordedWalk {
  const { g, rowsPerChunk, outChannels, inputFirst, images } = of;
  const key = `${CONV_GEOMETRY_KEYS.map((k) => g[k]).join(",")}|${rowsPerChunk}|${outChannels}|${inputFirst}|${images[0]},${images[1]}`;
  const cache = walkCache;
  let walk = cache.walks.get(key);
  if (walk) return walk;
  walk = recordWalk(of);
  const size = walkValues(walk);
  for (const [oldKey, old] of cache.walks) {
    if (cache.values + size <= cache.maxValues) break;
    cache.walks.delete(oldKey);
    cache.values -= walkValues(old);
  }
  if (size <= cache.maxValues) {
    cache.walks.set(key, walk);
    cache.values += size;
  }
  return walk;
}

/**
 * walkConvRuns (over `images`) with each run as a segment of byte addresses in `list` (on the wasm heap,
 * segmentListLength values; strides sw*ci and co floats a pixel): `kernel` gets the
 * non-empty list for filter row i, columns j0 .. j0 + filterColumns, and the list is emptied
 * after it. The three SIMD convolution kernels (forward, input gradient, filter gradient)
 * differ only in that call (conv-job.ts). The walk is recorded once per geometry (walkCache)
 * and replayed with the operands' addresses added.
 */
export function walkConvSegments(
  list: Int32Array,
  g: ConvGeometry,
  rowsPerChunk: number,
  operands: ConvOperands,
  kernel: (segments: Segments, i: number, j0: number, filterColumns: number) => void,
  images: [number, number] = [0, g.batch],
): void {
  const { inputAt, outputAt, outChannels, inputFirst } = operands;
  const { segments, flushes } = cachedWalk({ g, rowsPerChunk, outChannels, inputFirst, images });
  const [firstAt, secondAt] = inputFirst ? [inputAt, outputAt] : [outputAt, inputAt];
  const view: Segments = { address: list.byteOffset, count: 0 };
  for (let f = 0, s = 0; f < flushes.length; f += 4) {
    const count = flushes[f + 3];
    // Addresses above 2 GiB wrap to negative int32s, as the kernels read them (unsigned).
    for (let k = 0; k < 3 * count; k += 3, s += 3) {
      list[k] = segments[s] + firstAt;
      list[k + 1] = segments[s + 1] + secondAt;
      list[k + 2] = segments[s + 2];
    }
    view.count = count;
    kernel(view, flushes[f], flushes[f + 1], flushes[f + 2]);
  }
}
