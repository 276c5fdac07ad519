// Runs one TypeScript cell: tslab's converter type-checks and transpiles it, the result runs
// in this process (so tensors and modules are shared with the kernel) with the namespace as
// `exports`. Blocking code stops on SIGINT (vm breakOnSigint); async code when the cell's
// AbortSignal fires.
import * as path from "path";
import * as vm from "vm";
import { createRequire } from "module";
import type { Compiler } from "./compiler";
import { KERNEL_ROOT } from "./compiler";
import { hoistLoopLocals } from "./locals-transform";
import { runInterruptible } from "./interruptible";
import { CompileError, KeyboardInterrupt, diagnosticLines } from "./errors";
import { defineInNamespace, type Namespace } from "./namespace";

export interface RunResult {
  /** True when the cell ended with an expression; its value is `value`. */
  hasValue: boolean;
  value?: unknown;
}

/**
 * `require` for cells: the notebook's folder first, then the kernel's own packages, so
 * `import * as tf from "@tensorflow/tfjs"` works wherever the notebook lives.
 */
export function createCellRequire(cwd: string): NodeJS.Require {
  const local = createRequire(path.join(cwd, "__cell__.js"));
  const own = createRequire(path.join(KERNEL_ROOT, "package.json"));
  const selfEntry = path.join(KERNEL_ROOT, "dist", "src", "index.js");
  const req = ((id: string) => {
    if (id === "tfjs-lab") return own(selfEntry);
    try {
      return local(id);
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND" || id.startsWith(".") || path.isAbsolute(id)) throw e;
      return own(id);
    }
  }) as NodeJS.Require;
  return Object.assign(req, { resolve: local.resolve, cache: local.cache, main: local.main, extensions: local.extensions });
}

export class Executor {
  private readonly cellRequire: NodeJS.Require;
  private readonly define = (ns: Namespace, name: string, attrs: PropertyDescriptor) => defineInNamespace(ns, name, attrs);

  constructor(private readonly compiler: Compiler, readonly namespace: Namespace, cwd: string) {
    this.cellRequire = createCellRequire(cwd);
  }

  async run(src: string, cellName: string, signal: AbortSignal): Promise<RunResult> {
    const converted = this.compiler.convert(src);
    if (converted.diagnostics.length > 0) throw new CompileError(diagnosticLines(converted.diagnostics, cellName));
    if (!converted.output) {
      if (converted.declOutput !== undefined) this.compiler.commit(converted.declOutput);
      return { hasValue: false };
    }
    const js = hoistLoopLocals(converted.output).replace(/Object\.defineProperty\(exports, /g, "__lab_define(exports, ");
    const prefix = converted.hasToplevelAwait ? "(async function (exports, require, __lab_define) { " : "(function (exports, require, __lab_define) { ";
    const fn = vm.runInThisContext(`${prefix}${js}\n})`, { filename: cellName }) as Function;
    // Declarations count from here: a cell that fails half-way still defined its names.
    this.compiler.commit(converted.declOutput ?? "");
    const ret = runInterruptible(() => fn(this.namespace, this.cellRequire, this.define));
    if (converted.hasToplevelAwait) await raceAbort(ret as Promise<unknown>, signal);
    const key = converted.lastExpressionVar;
    if (!key) return { hasValue: false };
    const value = this.namespace[key];
    this.namespace[key] = undefined;
    return { hasValue: true, value };
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new KeyboardInterrupt());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new KeyboardInterrupt());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener("abort", onAbort); resolve(v); },
      (e) => { signal.removeEventListener("abort", onAbort); reject(e); },
    );
  });
}
