// Records calls into the toolkit while a %%trace cell runs: the losses' public functions
// (their shape checks run in JavaScript, before any tfjs kernel, so the profiler alone
// would not see the call that failed), ComputeLoss.call, and forward() of the models the
// notebook's variables hold. Everything is wrapped for the trace and restored after it.
import * as fs from "node:fs";
import * as path from "node:path";
import { isTensor } from "../../display";
import { isModule } from "./namespace-values";
import type { Tensor } from "../../tfjs/internals";

export interface CallArg {
  name: string;
  tensor?: Tensor;
  shape?: number[];
  dtype?: string;
  text?: string;
}

export interface CallRecord {
  name: string;
  args: CallArg[];
  /** Kernels the profiler had recorded when the call began (places the call among them). */
  kernelIndex: number;
  depth: number;
  outputShapes?: number[][];
  error?: unknown;
  /** Order in which calls failed (innermost first); undefined when the call returned. */
  failureOrder?: number;
  ms: number;
}

/** Parameter names from a function's source ("logits", "target", "options"). */
export function parameterNames(fn: Function): string[] {
  const src = Function.prototype.toString.call(fn);
  const m = /^[^(]*\(([^)]*)\)/.exec(src);
  if (!m) return [];
  return m[1]
    .split(",")
    .map((p) =>
      p
        .trim()
        .replace(/[=\s].*$/, "")
        .replace(/^\.\.\./, ""),
    )
    .filter(Boolean);
}

function describeArg(value: unknown, name: string): CallArg {
  if (isTensor(value)) return { name, tensor: value, shape: [...value.shape], dtype: value.dtype };
  if (Array.isArray(value) && value.length && value.every(isTensor)) {
    return { name, text: `[${(value as Tensor[]).map((t) => `[${t.shape.join(", ")}]`).join(", ")}]` };
  }
  if (value === undefined) return { name, text: "undefined" };
  if (typeof value === "object" && value !== null) return { name, text: Array.isArray(value) ? `Array(${value.length})` : "{…}" };
  return { name, text: String(value) };
}

function outputShapes(out: unknown): number[][] {
  if (isTensor(out)) return [[...out.shape]];
  if (Array.isArray(out)) return out.flatMap((o) => (isTensor(o) ? [[...o.shape]] : []));
  if (out && typeof out === "object") return Object.values(out).flatMap((o) => (isTensor(o) ? [[...o.shape]] : []));
  return [];
}

export class CallRecorder {
  readonly calls: CallRecord[] = [];
  private restores: (() => void)[] = [];
  private depth = 0;
  private failures = 0;

  constructor(private readonly kernelCount: () => number) {}

  private wrap(fn: Function, name: string): Function {
    const recorder = this;
    const params = parameterNames(fn);
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const record: CallRecord = {
        name,
        args: args.map((a, i) => describeArg(a, params[i] ?? `arg${i}`)),
        kernelIndex: recorder.kernelCount(),
        depth: recorder.depth,
        ms: 0,
      };
      recorder.calls.push(record);
      recorder.depth++;
      const t0 = performance.now();
      try {
        const out = fn.apply(this, args);
        record.outputShapes = outputShapes(out);
        return out;
      } catch (e) {
        record.error = e;
        record.failureOrder = recorder.failures++;
        throw e;
      } finally {
        record.ms = performance.now() - t0;
        recorder.depth--;
      }
    };
    Object.defineProperty(wrapped, "name", { value: (fn as { name: string }).name });
    return wrapped;
  }

  /** Replaces `owner[key]` (a function) by a recording wrapper until restore(). */
  private patch(owner: Record<string, unknown>, key: string, label: string, originals: Map<Function, Function>): void {
    const desc = Object.getOwnPropertyDescriptor(owner, key);
    if (!desc || typeof desc.value !== "function" || !desc.writable) return;
    const original = desc.value as Function;
    const wrapped = originals.get(original) ?? this.wrap(original, label);
    originals.set(original, wrapped);
    owner[key] = wrapped;
    this.restores.push(() => {
      if (owner[key] === wrapped) owner[key] = original;
    });
  }

  /** Wraps the toolkit losses and the namespace's models (and names bound to the losses). */
  install(ns: Record<string, unknown>, names: string[]): void {
    const originals = new Map<Function, Function>();
    let lossesDir: string | undefined;
    try {
      lossesDir = path.dirname(require.resolve("../../toolkit/losses"));
    } catch {
      /* toolkit not built */
    }
    if (lossesDir) {
      const index = require(lossesDir) as Record<string, unknown>;
      const exported = Object.keys(index);
      for (const file of fs.readdirSync(lossesDir)) {
        if (!file.endsWith(".js") || file === "index.js") continue;
        const mod = require(path.join(lossesDir, file)) as Record<string, unknown>;
        for (const key of exported) {
          const v = mod[key];
          if (typeof v !== "function") continue;
          if (/^class\s/.test(Function.prototype.toString.call(v))) {
            const proto = (v as { prototype: Record<string, unknown> }).prototype;
            for (const method of ["call", "forward"]) this.patch(proto, method, `${key}.${method}`, originals);
          } else {
            this.patch(mod, key, key, originals);
          }
        }
      }
    }
    for (const name of names) {
      let value: unknown;
      try {
        value = ns[name];
      } catch {
        continue;
      }
      if (typeof value === "function" && originals.has(value)) {
        this.patch(ns, name, (value as { name: string }).name, originals);
      } else if (isModule(value)) {
        const m = value as unknown as Record<string, unknown>;
        const original = m.forward as Function;
        const own = Object.getOwnPropertyDescriptor(m, "forward");
        const wrapped = this.wrap(original, `${name}.forward`);
        m.forward = wrapped;
        this.restores.push(() => {
          if (own) Object.defineProperty(m, "forward", own);
          else delete m.forward;
        });
      }
    }
  }

  restore(): void {
    for (const r of this.restores.reverse()) r();
    this.restores = [];
  }

  /** The innermost recorded call that raised `error`. */
  failingCall(error: unknown): CallRecord | undefined {
    return this.calls.filter((c) => c.error === error).sort((a, b) => a.failureOrder! - b.failureOrder!)[0];
  }
}
