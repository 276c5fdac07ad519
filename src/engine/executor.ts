// Runs one TypeScript cell: tslab's converter type-checks and transpiles it, the result runs
// in this process (so tensors and modules are shared with the kernel) with the namespace as
// `exports`. Blocking code stops on SIGINT (vm breakOnSigint); async code when the cell's
// AbortSignal fires.
import * as path from "node:path";
import * as vm from "node:vm";
import Module, { createRequire } from "node:module";
import type { Compiler } from "./compiler";
import { KERNEL_ROOT } from "./compiler";
import { runInterruptible } from "./interruptible";
import { resolveForImport } from "./esm-packages";
import { DEFINE, FLAG, RESUME, TICK, transformCell } from "./cell-transforms";
import { CompileError, KeyboardInterrupt, diagnosticLines } from "./errors";
import { defineInNamespace, type Namespace } from "./namespace";
import { guardedProcess } from "./preload";
import { recordCellSource, scriptNameFor } from "./source-positions";

export interface RunResult {
  /** True when the cell ended with an expression; its value is `value`. */
  hasValue: boolean;
  value?: unknown;
}

/** JavaScript compiled from the notebook folder's own .ts files (tslab's "side outputs"). */
class LocalTsModules {
  private readonly sources = new Map<string, string>();
  private readonly loaded = new Map<string, Module>();

  update(outputs: { path: string; data: string }[] | undefined): void {
    for (const o of outputs ?? []) {
      this.sources.set(path.resolve(o.path), o.data);
      this.loaded.delete(path.resolve(o.path));
    }
  }

  /** The module for `id` required from `dir`, if it is one of ours. */
  load(id: string, dir: string, fallback: (id: string, dir: string) => unknown): unknown {
    if (!id.startsWith(".") && !path.isAbsolute(id)) return undefined;
    let file = path.resolve(dir, id);
    if (!path.extname(file)) file += ".js";
    if (!this.sources.has(file)) return undefined;
    const cached = this.loaded.get(file);
    if (cached) return cached.exports;
    const mod = new Module(file);
    mod.filename = file;
    mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(path.dirname(file));
    const req = (child: string) => this.load(child, path.dirname(file), fallback) ?? fallback(child, path.dirname(file));
    (mod as unknown as { require: unknown }).require = Object.assign(req, { resolve: createRequire(file).resolve });
    this.loaded.set(file, mod);
    (mod as unknown as { _compile(src: string, f: string): void })._compile(this.sources.get(file)!, file);
    return mod.exports;
  }
}

/**
 * `require` for cells: the notebook's own .ts files, then the notebook's folder, then the
 * kernel's own packages, so `import * as tf from "@tensorflow/tfjs"` works wherever the
 * notebook lives.
 */
export function createCellRequire(cwd: string, local: LocalTsModules = new LocalTsModules()): NodeJS.Require {
  const own = createRequire(path.join(KERNEL_ROOT, "package.json"));
  const selfEntry = path.join(KERNEL_ROOT, "dist", "src", "index.js");
  const resolveFrom = (id: string, dir: string): unknown => {
    if (id === "tfjs-lab") return own(selfEntry);
    if (id === "process" || id === "node:process") return guardedProcess;
    const fromDir = createRequire(path.join(dir, "__cell__.js"));
    const bare = !id.startsWith(".") && !path.isAbsolute(id);
    const load = (from: NodeJS.Require): unknown => {
      try {
        return from(id);
      } catch (e) {
        if (bare && (e as { code?: string }).code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return requireEsmPackage(id, from, e);
        throw e;
      }
    };
    try {
      return load(fromDir);
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND" || !bare) throw e;
      return load(own);
    }
  };
  const base = createRequire(path.join(cwd, "__cell__.js"));
  const req = ((id: string) => local.load(id, cwd, resolveFrom) ?? resolveFrom(id, cwd)) as NodeJS.Require;
  return Object.assign(req, { resolve: base.resolve, cache: base.cache, main: base.main, extensions: base.extensions });
}

/** Loads an ES-module-only package by the file its `exports` give to `import` (see esm-packages.ts). */
function requireEsmPackage(id: string, from: NodeJS.Require, notExported: unknown): unknown {
  const file = resolveForImport(id, from.resolve.paths(id) ?? []);
  if (!file) throw notExported;
  try {
    return from(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_REQUIRE_ASYNC_MODULE") {
      throw new Error(
        `Cannot load "${id}": it is an ES module that uses top-level await, which a cell (compiled to CommonJS) cannot load synchronously.`,
      );
    }
    if (code === "ERR_REQUIRE_ESM") {
      throw new Error(
        `Cannot load "${id}": it is an ES module and Node ${process.version} cannot require() ES modules. Use Node 20.19 or later (22.12 or later on Node 22).`,
      );
    }
    throw e;
  }
}

/** What instrumented cell code calls to learn that it was interrupted (see cell-transforms/interrupt-checks.ts). */
export interface InterruptChecks {
  /** The shared interrupt counters that loops check inline before calling tick(). */
  readonly counts: Int32Array;
  /** Throws KeyboardInterrupt if an interrupt arrived for the running cell. */
  tick(): void;
  /** After each await: also throws when the cell that started this code was interrupted. */
  resume<T>(value?: T): T | undefined;
}

export class Executor {
  private readonly cellRequire: NodeJS.Require;
  private readonly localModules = new LocalTsModules();
  private readonly define = (ns: Namespace, name: string, attrs: PropertyDescriptor) => defineInNamespace(ns, name, attrs);

  constructor(
    private readonly compiler: Compiler,
    readonly namespace: Namespace,
    cwd: string,
    private readonly checks: InterruptChecks,
  ) {
    this.cellRequire = createCellRequire(cwd, this.localModules);
  }

  /**
   * `firstLine`: the line of the cell `src` starts on (code after a magic line, a %%magic's
   * body); 0 when a magic's one-line wrapper comes before the cell's first line.
   */
  async run(src: string, cellName: string, signal: AbortSignal, firstLine = 1): Promise<RunResult> {
    const converted = this.compiler.convert(src);
    this.localModules.update(converted.sideOutputs);
    if (converted.diagnostics.length > 0) throw new CompileError(diagnosticLines(converted.diagnostics, cellName, firstLine));
    if (!converted.output) {
      if (converted.declOutput !== undefined) this.compiler.commit(converted.declOutput);
      return { hasValue: false };
    }
    const transformed = transformCell(converted.output, new Set(Object.keys(this.namespace)));
    // tslab's own flag misses `for await` nested in a loop; the tree's answer covers it.
    const isAsync = converted.hasToplevelAwait || transformed.awaitsAtTopLevel;
    const js = transformed.js;
    // `process` is a parameter so the cell sees the guarded one (exit raises, not ends the kernel).
    const params = `exports, require, ${DEFINE}, ${TICK}, ${RESUME}, ${FLAG}, process`;
    const prefix = isAsync ? `(async function (${params}) { ` : `(function (${params}) { `;
    // Each part of a cell gets a script name of its own, so that tracebacks map to its source.
    const scriptName = scriptNameFor(cellName, firstLine);
    recordCellSource(scriptName, src, js, prefix.length, firstLine);
    const fn = vm.runInThisContext(`${prefix}${js}\n})`, { filename: scriptName }) as Function;
    // Declarations count from here: a cell that fails half-way still defined its names.
    this.compiler.commit(converted.declOutput ?? "");
    // An interrupt that arrived while the cell compiled stops it before it starts.
    if (signal.aborted) throw new KeyboardInterrupt();
    const ret = runInterruptible(() =>
      fn(this.namespace, this.cellRequire, this.define, this.checks.tick, this.checks.resume, this.checks.counts, guardedProcess),
    );
    if (isAsync) await raceAbort(ret as Promise<unknown>, signal);
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
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
