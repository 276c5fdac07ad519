// The cell compiler: tslab's converter (TypeScript type-check + transpile) with module
// resolution that falls back to the kernel's own packages, so `import * as tf from
// "@tensorflow/tfjs"` type-checks in a notebook that lives anywhere (tslab #61, #67).
import * as path from "node:path";
import * as ts from "@tslab/typescript-for-tslab";
import type { Converter, ConvertResult, CompletionInfo } from "tslab/dist/converter";
import { ConvertCache, markProjectFilesChanged } from "./convert-cache";
import { withExportsTypes } from "./esm-packages";

/** Root of the installed tfjs-lab package (holds package.json and node_modules/). */
export const KERNEL_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface Compiler {
  convert(src: string): ConvertResult;
  /** Declarations of everything defined so far; advanced after every executed cell. */
  commit(declOutput: string): void;
  complete(src: string, position: number): CompletionInfo;
  inspect(src: string, position: number): ts.QuickInfo | undefined;
  close(): void;
}

/**
 * Redirects `<cwd>/node_modules/<pkg>` look-ups that miss to the kernel's node_modules.
 * Applied once to the shared `ts.sys` before the converter is created; a package the
 * notebook folder has itself still wins because the real path is tried first.
 */
function installKernelPackageFallback(cwd: string): void {
  const local = path.join(cwd, "node_modules") + path.sep;
  const own = path.join(KERNEL_ROOT, "node_modules") + path.sep;
  if (local === own) return;
  const sys = ts.sys as unknown as Record<string, (...a: any[]) => any>;
  const orig = Object.fromEntries(
    ["fileExists", "directoryExists", "readFile", "realpath", "getDirectories", "readDirectory"]
      .filter((fn) => sys[fn])
      .map((fn) => [fn, sys[fn].bind(ts.sys)]),
  );
  const mapped = (p: string) => (p.startsWith(local) ? own + p.slice(local.length) : p);
  const exists = (p: string) => orig.fileExists(p) || orig.directoryExists(p);
  for (const fn of Object.keys(orig)) {
    sys[fn] = (p: string, ...rest: unknown[]) => {
      const m = mapped(p);
      return m !== p && !exists(p) ? orig[fn](m, ...rest) : orig[fn](p, ...rest);
    };
  }
}

/** Lets Node-10 resolution find the types of packages that declare them only in `exports`. */
function readTypesFromExports(): void {
  const sys = ts.sys as unknown as Record<string, any>;
  const orig = sys.readFile.bind(ts.sys);
  if (sys.readFile.__labExportsTypes) return;
  const wrapped = (p: string, ...rest: unknown[]) => {
    const text = orig(p, ...rest);
    return text !== undefined && p.endsWith("/package.json") && p.includes("/node_modules/") ? withExportsTypes(text) : text;
  };
  wrapped.__labExportsTypes = true;
  sys.readFile = wrapped;
}

/**
 * Watches the watchers of the TypeScript program: every notification marks the project's
 * files changed (so cached conversions are dropped). And tslab's converter schedules one
 * rebuild at a time and throws "Unexpected pending rebuildTimer" when a second file change
 * arrives before the next cell; that throw happens in a file watcher, outside any cell. A
 * rebuild is pending anyway, so the second notification can be dropped.
 */
function observeFileChanges(): void {
  const sys = ts.sys as unknown as Record<string, any>;
  for (const fn of ["watchFile", "watchDirectory"]) {
    const orig = sys[fn]?.bind(ts.sys);
    if (!orig || orig.__labTolerant) continue;
    const wrapped = (p: string, cb: (...a: unknown[]) => void, ...rest: unknown[]) =>
      orig(
        p,
        (...args: unknown[]) => {
          markProjectFilesChanged();
          try {
            cb(...args);
          } catch (e) {
            if (!/pending rebuildTimer/.test(String((e as Error)?.message))) throw e;
          }
        },
        ...rest,
      );
    wrapped.__labTolerant = true;
    sys[fn] = wrapped;
  }
}

export function createCompiler(cwd: string, preludeDecl: string): Compiler {
  readTypesFromExports();
  installKernelPackageFallback(cwd);
  observeFileChanges();
  // tslab reads the working directory when the converter is created.
  const prevCwd = process.cwd();
  if (prevCwd !== cwd) process.chdir(cwd);
  let converter: Converter;
  try {
    // Loaded here, not at module load: creating the TypeScript program takes about a second.
    const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    converter = createConverter();
  } finally {
    if (prevCwd !== cwd) process.chdir(prevCwd);
  }
  let decl = preludeDecl;
  const cache = new ConvertCache();
  return {
    convert(src) {
      const cached = cache.get(decl, src);
      if (cached) return cached;
      const result = converter.convert(decl, src);
      cache.set(decl, src, result);
      return result;
    },
    commit(declOutput) {
      // Keep the prelude's imports even if a cell's declarations dropped them.
      decl = declOutput.includes(preludeDecl.trim()) ? declOutput : preludeDecl + declOutput;
    },
    complete: (src, position) => converter.complete(decl, src, position),
    inspect: (src, position) => converter.inspect(decl, src, position),
    close: () => converter.close(),
  };
}
