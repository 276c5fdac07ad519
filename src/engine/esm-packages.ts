// ES-module-only packages (tslab #72). Cells compile to CommonJS, so `import x from "pkg"`
// becomes require("pkg"); a package whose `exports` offer only an `import` condition makes
// require() fail with ERR_PACKAGE_PATH_NOT_EXPORTED although the module itself could load:
// Node >= 20.19 can require() an ES module that has no top-level await. This finds the file
// that `import` would load (the package's `exports` under the node/import/default
// conditions) so the cell can require it by path. For the type-check, tslab's compiler
// resolves like Node 10 and never reads `exports`: `withExportsTypes` gives such a
// package.json the `types` field its `exports` imply.
import * as fs from "node:fs";
import * as path from "node:path";

const IMPORT_CONDITIONS = ["node", "import", "module-sync", "default"];
const TYPES_CONDITIONS = ["types", "node", "import", "default"];

/** "@scope/name/sub/path" -> { name: "@scope/name", subpath: "./sub/path" }. */
export function splitSpecifier(id: string): { name: string; subpath: string } {
  const parts = id.split("/");
  const n = id.startsWith("@") ? 2 : 1;
  const rest = parts.slice(n).join("/");
  return { name: parts.slice(0, n).join("/"), subpath: rest ? `./${rest}` : "." };
}

/** The target an `exports` entry gives under the import conditions, or undefined. */
function conditionalTarget(entry: unknown, conditions = IMPORT_CONDITIONS): string | undefined {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const t = conditionalTarget(e, conditions);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (entry && typeof entry === "object") {
    // object key order is the package author's priority order, as in Node
    for (const [condition, value] of Object.entries(entry)) {
      if (!conditions.includes(condition)) continue;
      const t = conditionalTarget(value, conditions);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** Resolves `subpath` through a package.json `exports` field for import; undefined if not exported. */
/** `exports` as a map from subpath to entry ("." alone when it is the main entry's sugar). */
function subpathMap(exports: unknown): Record<string, unknown> {
  const isMap =
    exports !== null && typeof exports === "object" && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith("."));
  return isMap ? (exports as Record<string, unknown>) : { ".": exports };
}

export function resolveExports(exports: unknown, subpath: string, conditions = IMPORT_CONDITIONS): string | undefined {
  const map = subpathMap(exports);
  if (subpath in map) return conditionalTarget(map[subpath], conditions);
  // subpath patterns ("./features/*.js"): the longest matching prefix wins
  let best: { key: string; star: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const prefix = key.slice(0, star),
      suffix = key.slice(star + 1);
    if (
      subpath.startsWith(prefix) &&
      subpath.endsWith(suffix) &&
      subpath.length >= key.length - 1 &&
      (!best || prefix.length > best.key.indexOf("*"))
    ) {
      best = { key, star: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  if (!best) return undefined;
  return conditionalTarget(map[best.key], conditions)?.replaceAll("*", best.star);
}

/**
 * The absolute file `import id` would load, searching the given node_modules folders in
 * order (what require.resolve.paths gives); undefined when no package there exports it.
 */
export function resolveForImport(id: string, searchDirs: readonly string[]): string | undefined {
  const { name, subpath } = splitSpecifier(id);
  for (const dir of searchDirs) {
    const pkgDir = path.join(dir, name);
    let pkg: { exports?: unknown };
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (pkg.exports === undefined) return undefined;
    const target = resolveExports(pkg.exports, subpath);
    return target === undefined ? undefined : path.join(pkgDir, target);
  }
  return undefined;
}

/** The target of an explicit `types` condition in an `exports` entry, or undefined. */
function declaredTypes(entry: unknown): string | undefined {
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const t = declaredTypes(e);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (!entry || typeof entry !== "object") return undefined;
  const conditions = entry as Record<string, unknown>;
  if (typeof conditions.types === "string") return conditions.types;
  for (const [condition, value] of Object.entries(conditions)) {
    if (TYPES_CONDITIONS.includes(condition)) {
      const t = declaredTypes(value);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/**
 * A node_modules package.json's text with the types its `exports` imply made visible to
 * Node-10 resolution: `types` for the main entry (when it has neither `types` nor `typings`)
 * and `typesVersions` for exported subpaths (when it has none). Other text comes back as is.
 */
export function withExportsTypes(text: string): string {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text);
  } catch {
    return text;
  }
  if (!pkg || typeof pkg !== "object" || pkg.exports === undefined) return text;
  const added: Record<string, unknown> = {};
  const map = subpathMap(pkg.exports);
  // only explicit `types` conditions: a JavaScript target says nothing about declarations
  if (pkg.types === undefined && pkg.typings === undefined) {
    const types = declaredTypes(map["."]);
    if (types !== undefined) added.types = types;
  }
  if (pkg.typesVersions === undefined) {
    const paths: Record<string, string[]> = {};
    for (const [key, entry] of Object.entries(map)) {
      // "./*" would remap every path of the package, its main types included
      if (!key.startsWith("./") || key === "./*") continue;
      const target = declaredTypes(entry);
      if (target !== undefined) paths[key.slice(2)] = [target];
    }
    if (Object.keys(paths).length > 0) added.typesVersions = { "*": paths };
  }
  return Object.keys(added).length === 0 ? text : JSON.stringify({ ...pkg, ...added });
}
