// One probe per backend: can it run here, and if not, why (one line, never a stack).
// Optional native packages are looked up with require() at run time, so TypeScript and
// npm never need them.
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { installWasmBackend, wasmStart, wasmThreadsInUse } from "./wasm-backend";
import { simdKernelsDescription } from "./wasm-simd/load";
import { type AdapterKind, classifyGpuAdapter, installWebgpuBackend, skippedSoftwareAdapter } from "./webgpu";

export interface ProbeResult {
  name: string;
  ok: boolean;
  detail: string;
}

export const BACKEND_ORDER = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** How long the WebGPU adapter request may take before we call it absent. */
const WEBGPU_PROBE_TIMEOUT_MS = 3000;

/** The first line of an error, short enough for a one-line report. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split("\n").find((l) => l.trim() !== "") ?? "unknown error";
  return first.length > 160 ? `${first.slice(0, 157)}...` : first.trim();
}

function isMissingModule(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "MODULE_NOT_FOUND" && (e.message ?? "").includes(`'${pkg}'`);
}

/** Loads an optional package, or says in one line why it cannot be loaded. */
function tryRequire(pkg: string): { module?: unknown; why?: string } {
  try {
    return { module: require(pkg) };
  } catch (err) {
    return { why: isMissingModule(err, pkg) ? `${pkg} not installed` : `${pkg} failed to load: ${oneLine(err)}` };
  }
}

/**
 * tf.setBackend reports a failing backend factory with console.warn and a stack trace;
 * keep those lines and turn them into one.
 */
async function activate(name: string): Promise<string | undefined> {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(...args);
  };
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (ok) return undefined;
    const cause = warnings.find((w) => !String(w).startsWith("Initialization of backend"));
    return cause === undefined ? `tf.setBackend('${name}') failed` : oneLine(cause);
  } catch (err) {
    return oneLine(err);
  } finally {
    console.warn = warn;
  }
}

export async function probeTensorflow(): Promise<ProbeResult> {
  const reasons: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    const loaded = tryRequire(pkg);
    if (!loaded.module) {
      reasons.push(loaded.why!);
      continue;
    }
    if (!tf.findBackendFactory("tensorflow")) {
      reasons.push(`${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs-core`);
      continue;
    }
    const failure = await activate("tensorflow");
    if (!failure) return { name: "tensorflow", ok: true, detail: `libtensorflow through ${pkg}` };
    reasons.push(`${pkg}: ${failure}`);
  }
  return { name: "tensorflow", ok: false, detail: reasons.join("; ") };
}

/** Dawn prints a warning with a native trace when it cannot dlopen the Vulkan loader; look first. */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== "linux") return false;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
  ];
  if (dirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1")))) return false;
  try {
    return !fs.readFileSync("/etc/ld.so.cache").includes("libvulkan.so.1");
  } catch {
    return true;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(opts?: object): Promise<unknown> };
  globals: Record<string, unknown>;
}

/**
 * `explicit`: webgpu was asked for by name. Only then may a software adapter (SwiftShader,
 * llvmpipe: CPU emulation, slower than wasm) be used; otherwise the probe says it skipped it.
 */
export async function probeWebgpu(explicit = false): Promise<ProbeResult> {
  const fail = (detail: string): ProbeResult => ({ name: "webgpu", ok: false, detail });
  const g = globalThis as { navigator?: { gpu?: { requestAdapter(opts?: object): Promise<unknown> } } };
  let gpu = g.navigator?.gpu;
  let dawnGlobals: Record<string, unknown> | undefined;
  if (!gpu) {
    const dawn = tryRequire("webgpu");
    if (!dawn.module) return fail(dawn.why!);
    if (vulkanLoaderMissing()) return fail("no Vulkan loader (libvulkan.so.1) found");
    try {
      const { create, globals } = dawn.module as DawnModule;
      gpu = create([]);
      dawnGlobals = globals;
    } catch (err) {
      return fail(oneLine(err));
    }
  }
  let adapter: AdapterKind;
  try {
    const found = await withTimeout(
      gpu.requestAdapter({ powerPreference: "high-performance" }),
      WEBGPU_PROBE_TIMEOUT_MS,
      "GPU adapter request",
    );
    if (!found) return fail("no GPU adapter found");
    adapter = await classifyGpuAdapter(found);
  } catch (err) {
    return fail(oneLine(err));
  }
  if (adapter.software && !explicit) return fail(skippedSoftwareAdapter(adapter, "TFJS_LAB_BACKEND"));
  if (dawnGlobals) {
    // tfjs-backend-webgpu registers its factory at load only where navigator.gpu exists.
    Object.assign(globalThis, dawnGlobals);
    if (g.navigator) g.navigator.gpu = gpu;
    else g.navigator = { gpu };
  }
  const backendPkg = tryRequire("@tensorflow/tfjs-backend-webgpu");
  if (!backendPkg.module) return fail(backendPkg.why!);
  installWebgpuBackend();
  const failure = await activate("webgpu");
  if (failure) return fail(failure);
  const kind = adapter.software ? `, software: ${adapter.why}` : "";
  return { name: "webgpu", ok: true, detail: `Dawn through the npm webgpu package, adapter '${adapter.name}'${kind}` };
}

export async function probeWasm(): Promise<ProbeResult> {
  const pkg = tryRequire("@tensorflow/tfjs-backend-wasm");
  if (!pkg.module) return { name: "wasm", ok: false, detail: pkg.why! };
  installWasmBackend();
  const failure = await activate("wasm");
  if (failure) return { name: "wasm", ok: false, detail: failure };
  const { threadsSkipped, kernelThreadsSkipped, warning } = wasmStart();
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
  const threads = wasmThreadsInUse();
  const threading =
    threads > 1
      ? `${threads} threads (XNNPACK on 1)`
      : kernelThreadsSkipped
        ? `1 thread (kernel threads: ${kernelThreadsSkipped})`
        : `1 thread${threadsSkipped && threadsSkipped !== "1 thread asked for" ? ` (${threadsSkipped})` : ""}`;
  return {
    name: "wasm",
    ok: true,
    detail: `tfjs-lab kernels (${simdKernelsDescription()}) and XNNPACK, ${simd}, ${threading}${warning ? ` (${warning})` : ""}`,
  };
}

export async function probeCpu(): Promise<ProbeResult> {
  const failure = await activate("cpu");
  return failure ? { name: "cpu", ok: false, detail: failure } : { name: "cpu", ok: true, detail: "plain JavaScript" };
}
