// Picks the backend the toolkit trains on: the best that works here, or the one asked for
// (TFJS_LAB_BACKEND, initBackend({ prefer }), %backend), and says which and why.
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ORDER, type BackendName, type ProbeResult, probeCpu, probeTensorflow, probeWasm, probeWebgpu } from "./probes";
import { registerToolkitGradients, wasmThreadsInUse } from "./wasm-backend";

export const BACKEND_ENV_VAR = "TFJS_LAB_BACKEND";

export interface BackendReport {
  /** The backend now active. */
  name: string;
  /** Why it was chosen. */
  reason: string;
  /** Every backend tried, in order, with what was found. */
  probes: ProbeResult[];
  /** Worker threads of the wasm backend (1 = single-threaded). */
  threads?: number;
  /** Start-up cost of the selection, in ms. */
  initMs: number;
  /** One line: "backend: wasm (webgpu: no GPU adapter found; tensorflow: ... not installed)". */
  describe(): string;
}

export interface InitBackendOptions {
  /** Backend to use instead of the best available one (overrides TFJS_LAB_BACKEND). */
  prefer?: string;
  /** Where to write the one-line report; nothing is written without it. */
  log?: (line: string) => void;
}

/** `explicit`: the backend was asked for by name (webgpu then accepts a software adapter). */
const PROBES: Record<BackendName, (explicit: boolean) => Promise<ProbeResult>> = {
  tensorflow: probeTensorflow,
  webgpu: probeWebgpu,
  wasm: probeWasm,
  cpu: probeCpu,
};

let current: BackendReport | undefined;
let pending: Promise<BackendReport> | undefined;

function unknownBackendError(name: string, source: string): Error {
  const err = new Error(`Unknown backend '${name}' (from ${source}). Available backends: ${BACKEND_ORDER.join(", ")}.`);
  err.name = "ValueError";
  return err;
}

function normalise(name: string, source: string): BackendName {
  const key = name.trim().toLowerCase();
  if (key === "node" || key === "tfjs-node") return "tensorflow";
  if (!(BACKEND_ORDER as readonly string[]).includes(key)) throw unknownBackendError(name, source);
  return key as BackendName;
}

function makeReport(name: string, reason: string, probes: ProbeResult[], startedAt: number): BackendReport {
  const threads = name === "wasm" ? wasmThreadsInUse() : undefined;
  return {
    name,
    reason,
    probes,
    threads,
    initMs: Math.round(performance.now() - startedAt),
    describe() {
      const failed = probes.filter((p) => !p.ok).map((p) => `${p.name}: ${p.detail}`);
      const why = [reason, ...failed].filter(Boolean).join("; ");
      return `backend: ${name}${why ? ` (${why})` : ""}`;
    },
  };
}

/**
 * The cpu backend greets Node users with a long console banner on first use; skip it, also
 * for a later tf.setBackend("cpu") (a notebook cell should not print it).
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

async function select(wanted: BackendName | undefined, source: string): Promise<BackendReport> {
  const startedAt = performance.now();
  registerToolkitGradients();
  const probes: ProbeResult[] = [];
  if (wanted) {
    const probe = await PROBES[wanted](true);
    probes.push(probe);
    if (!probe.ok) {
      const err = new Error(`Backend '${wanted}' (from ${source}) is not available here: ${probe.detail}`);
      err.name = "RuntimeError";
      throw err;
    }
    silenceCpuBanner();
    return makeReport(wanted, `asked for by ${source}`, probes, startedAt);
  }
  for (const name of BACKEND_ORDER) {
    const probe = await PROBES[name](false);
    probes.push(probe);
    if (probe.ok) {
      silenceCpuBanner();
      return makeReport(name, "", probes, startedAt);
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${probes.map((p) => `${p.name}: ${p.detail}`).join("; ")}`);
}

/**
 * Selects the backend once (later calls return the same report, so the kernel may call
 * it lazily): opts.prefer, else $TFJS_LAB_BACKEND, else the first that works of
 * tensorflow, webgpu, wasm, cpu.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendReport> {
  const envChoice = process.env[BACKEND_ENV_VAR];
  let asked: BackendName | undefined;
  try {
    asked = opts.prefer ? normalise(opts.prefer, "initBackend({ prefer })") : envChoice ? normalise(envChoice, BACKEND_ENV_VAR) : undefined;
  } catch (err) {
    return Promise.reject(err);
  }
  if (current && (!asked || asked === current.name)) return Promise.resolve(current);
  if (pending) return pending;
  const source = opts.prefer ? "initBackend({ prefer })" : BACKEND_ENV_VAR;
  pending = select(asked, source)
    .then((report) => {
      current = report;
      opts.log?.(report.describe());
      return report;
    })
    .finally(() => {
      pending = undefined;
    });
  return pending;
}

/** `%backend NAME`: switch now; an unknown name lists the backends there are. */
export async function switchBackend(name: string): Promise<BackendReport> {
  const wanted = normalise(name, "%backend");
  if (current?.name === wanted && tf.getBackend() === wanted) return current;
  const report = await select(wanted, "%backend");
  current = report;
  return report;
}

/** The active backend's report, or undefined before initBackend/switchBackend. */
export function currentBackend(): BackendReport | undefined {
  return current;
}
