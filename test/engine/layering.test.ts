// The layers of DESIGN.md ("who may import whom"), checked on the sources: every import,
// export-from, require() and import() between folders of src/, type-only imports included
// (a type import is still a dependency a reader must follow).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const SRC = path.resolve(__dirname, "..", "..", "..", "src");

interface Import {
  from: string;
  to: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

const SPECIFIER =
  /\b(?:import|export)\s[^;'"`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\b(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Strips comments, so an import named in a comment is not counted. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every import between files of src/, with the path of each end relative to src/. */
function importsOfSources(): Import[] {
  const out: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = withoutComments(fs.readFileSync(file, "utf8"));
    for (const m of text.matchAll(SPECIFIER)) {
      const specifier = m[1] ?? m[2] ?? m[3];
      if (!specifier.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), specifier);
      out.push({ from: path.relative(SRC, file), to: path.relative(SRC, target), specifier });
    }
  }
  return out;
}

/** The top folder of src/ a path is in ("engine", "toolkit", ...), or the file for src/index.ts. */
const layerOf = (p: string) => p.split(path.sep)[0].replace(/\.ts$/, "");

const imports = importsOfSources();
const violations = (from: string, forbidden: string[]) =>
  imports.filter((i) => layerOf(i.from) === from && forbidden.includes(layerOf(i.to))).map((i) => `${i.from} imports "${i.specifier}"`);

test("the scan sees imports of every form (it would see a violation)", () => {
  const edge = (from: string, to: string) => imports.some((i) => i.from === from && i.to === to);
  assert.ok(edge(path.join("engine", "engine.ts"), path.join("magics")), "a static import");
  assert.ok(edge(path.join("cli", "toolkit-engine.ts"), "tfjs"), "a require()");
  assert.ok(edge(path.join("display", "index.ts"), path.join("display", "reprs", "tensor")), "a side-effect import");
  assert.ok(edge(path.join("engine", "types.ts"), path.join("display", "mime")), "a type-only import");
  assert.ok(imports.length > 200, `only ${imports.length} imports found`);
});

test("the toolkit knows no kernel: nothing under src/toolkit imports the engine, kernel, magics, runner or cli", () => {
  assert.deepEqual(violations("toolkit", ["engine", "kernel", "magics", "runner", "cli"]), []);
});

test("the engine knows no toolkit: nothing under src/engine imports src/toolkit, src/tfjs, the kernel, the runner or the cli", () => {
  assert.deepEqual(violations("engine", ["toolkit", "tfjs", "index", "kernel", "runner", "cli"]), []);
});

test("display knows no engine, so engine and display import each other in one direction only", () => {
  assert.deepEqual(violations("display", ["engine", "kernel", "magics", "runner", "cli"]), []);
});

test("TensorFlow.js's layer knows no kernel: nothing under src/tfjs imports the engine, kernel, magics, display, runner or cli", () => {
  assert.deepEqual(violations("tfjs", ["engine", "kernel", "magics", "display", "runner", "cli"]), []);
});
