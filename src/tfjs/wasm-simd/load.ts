// Instantiates our SIMD kernels (module-wat.ts) against the wasm backend's own memory, so
// that they read and write tensors in place: the fused-multiply-add variant where the engine
// runs relaxed SIMD (relaxed-simd.ts), the plain one otherwise. One instance per memory and
// variant: the backend's memory object lives as long as the backend (growing it keeps it).
import * as fs from "node:fs";
import * as path from "node:path";
import { simdKernelFile } from "./module-wat";
import { relaxedSimdSupport } from "./relaxed-simd";

/** A gather of Winograd tiles into planes (winograd-wat.ts): tiles [tile0, tile0 + count) of an NHWC image. */
type WinogradGather = (
  src: number,
  height: number,
  width: number,
  channels: number,
  padTop: number,
  padLeft: number,
  tilesY: number,
  tilesX: number,
  tile0: number,
  count: number,
  dst: number,
  planeBytes: number,
  zeros: number,
) => void;

/** Byte addresses and strides throughout; see the *-wat.ts files. */
export interface SimdKernels {
  outerAccumulate(c: number, ldc: number, segments: number, segmentCount: number, lda: number, ldb: number, m: number, n: number): void;
  /** outerAccumulate on rows [mBegin, mEnd) and columns [nBegin, nEnd) of C only. */
  outerAccumulateBlock(
    c: number,
    ldc: number,
    segments: number,
    segmentCount: number,
    lda: number,
    ldb: number,
    mBegin: number,
    mEnd: number,
    nBegin: number,
    nEnd: number,
  ): void;
  rowScatter(
    segments: number,
    segmentCount: number,
    ldc: number,
    lda: number,
    b: number,
    ldb: number,
    k: number,
    width: number,
    rowsPerTile: number,
  ): void;
  /** rowScatter on columns [nBegin, nEnd) of C's rows (and B's) only; `store` 1: C = the products (not +=). */
  rowScatterColumns(
    segments: number,
    segmentCount: number,
    ldc: number,
    lda: number,
    b: number,
    ldb: number,
    k: number,
    nBegin: number,
    nEnd: number,
    rowsPerTile: number,
    store: number,
  ): void;
  silu(x: number, out: number, count: number): void;
  siluGrad(dy: number, x: number, out: number, count: number): void;
  /** factor and bias: rowBytes + 128 bytes each, the channels repeated (elementwise-wat.ts). */
  channelAffineSilu(x: number, factor: number, bias: number, out: number, count: number, rowBytes: number): void;
  channelAffineSiluGrad(dy: number, x: number, factor: number, bias: number, out: number, count: number, rowBytes: number): void;
  /** The same for ReLU (relu-wat.ts). */
  channelAffineRelu(x: number, factor: number, bias: number, out: number, count: number, rowBytes: number): void;
  channelAffineReluGrad(dy: number, x: number, factor: number, bias: number, out: number, count: number, rowBytes: number): void;
  channelSums(dy: number, x: number, mean: number, dyMean: number, rows: number, channels: number, out: number): void;
  channelAffine(dy: number, x: number, a: number, b: number, k: number, out: number, rows: number, channels: number): void;
  channelScaleShift(x: number, factor: number, bias: number, out: number, rows: number, channels: number): void;
  addValues(a: number, b: number, out: number, count: number): void;
  subValues(a: number, b: number, out: number, count: number): void;
  mulValues(a: number, b: number, out: number, count: number): void;
  maxPoolGradImage(
    x: number,
    dy: number,
    dx: number,
    height: number,
    width: number,
    channels: number,
    outHeight: number,
    outWidth: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
  ): void;
  copyRuns(src: number, srcStride: number, dst: number, dstStride: number, runBytes: number, count: number): void;
  /** Winograd F(2x2, 3x3)'s transforms (winograd-wat.ts): x's 4x4 patches, and dy's 2x2 tiles, into 16 planes. */
  winogradGatherInput: WinogradGather;
  winogradGatherGrad: WinogradGather;
  winogradScatterOutput(
    src: number,
    planeBytes: number,
    channels: number,
    tilesY: number,
    tilesX: number,
    tile0: number,
    count: number,
    dst: number,
    height: number,
    width: number,
    trash: number,
  ): void;
  winogradFilterMap(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    coefs: number,
    rowsOut: number,
    rowsIn: number,
    count: number,
  ): void;
  zeroBytes(at: number, bytes: number): void;
}

/** For tests and benchmarks: force the plain (false) or fused (true) kernels; unset, the engine decides. */
export const simdKernelChoice: { fused?: boolean } = {};

/** Whether simdKernelsFor's kernels are the fused ones (by default). */
export function simdKernelsFused(): boolean {
  return simdKernelChoice.fused ?? relaxedSimdSupport().usable;
}

/** Whether the kernels simdKernelsFor returns use fused multiply-adds, and why, for the backend report. */
export function simdKernelsDescription(): string {
  const support = relaxedSimdSupport();
  if (simdKernelChoice.fused === undefined) return `${support.usable ? "fused multiply-add" : "SIMD128"}: ${support.why}`;
  return simdKernelChoice.fused ? "fused multiply-add: forced" : "SIMD128: forced";
}

const instances = new WeakMap<WebAssembly.Memory, Map<string, SimdKernels>>();
const modules = new Map<string, WebAssembly.Module>();
let loadError: string | undefined;

/**
 * The backend's `WebAssembly.Memory`: emscripten keeps it as the module's `asm.memory` export
 * in the single-threaded build, and as `wasmMemory` in the threaded one (which creates it).
 */
export function wasmBackendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** The compiled module of one build (compiled once per process). */
function simdKernelModule(file: string): WebAssembly.Module {
  let module = modules.get(file);
  if (!module) {
    module = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, file)));
    modules.set(file, module);
  }
  return module;
}

/**
 * The compiled modules for a shared memory, for the kernel threads to instantiate
 * (wasm-kernels/kernel-threads.ts): the plain build, and the fused one where V8 runs it.
 */
export function sharedSimdKernelModules(): { plain: WebAssembly.Module; fused?: WebAssembly.Module } | undefined {
  try {
    const plain = simdKernelModule(simdKernelFile({ shared: true, fused: false }));
    const fused = relaxedSimdSupport().usable ? simdKernelModule(simdKernelFile({ shared: true, fused: true })) : undefined;
    return { plain, fused };
  } catch (e) {
    loadError = `${(e as Error).message.split("\n")[0]} (run \`npm run build\` to assemble our kernels)`;
    return undefined;
  }
}

/** The kernels bound to `memory`, or undefined (the reason is in `simdKernelsUnavailable()`). */
export function simdKernelsFor(memory: WebAssembly.Memory, fused = simdKernelsFused()): SimdKernels | undefined {
  const file = simdKernelFile({ shared: memory.buffer instanceof SharedArrayBuffer, fused });
  let perFile = instances.get(memory);
  const cached = perFile?.get(file);
  if (cached) return cached;
  try {
    const module = simdKernelModule(file);
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    if (!perFile) instances.set(memory, (perFile = new Map()));
    perFile.set(file, kernels);
    return kernels;
  } catch (e) {
    loadError = `${file}: ${(e as Error).message.split("\n")[0]} (run \`npm run build\` to assemble it)`;
    return undefined;
  }
}

/** Why the last load failed, if it did. */
export function simdKernelsUnavailable(): string | undefined {
  return loadError;
}
