// ES-module-only packages in a cell (tslab #72): a package whose `exports` offer only `import`
// type-checks and loads, by its main entry, a subpath pattern and a default export; one that
// needs top-level await gets an error that says so. Plus the `exports` resolution rules.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { resolveExports, splitSpecifier, withExportsTypes } from "../../src/engine/esm-packages";
import { RecordingSink } from "../helpers/recording-sink";

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-esm-"));
let engine: LabEngine;

function writePackage(name: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    const p = path.join(cwd, "node_modules", name, file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
}

async function run(code: string) {
  const sink = new RecordingSink();
  const reply = await engine.execute(code, sink);
  return { sink, reply: reply as { status: string; ename?: string; evalue?: string } };
}

before(() => {
  writePackage("@demo/esm-only", {
    "package.json": JSON.stringify({
      name: "@demo/esm-only",
      type: "module",
      exports: {
        ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./units/*": { types: "./dist/units/*.d.ts", import: "./dist/units/*.js" },
      },
    }),
    "dist/index.js": "export const triple = (x) => 3 * x;\nexport default 'the default';\n",
    "dist/index.d.ts": "export declare const triple: (x: number) => number;\ndeclare const d: string;\nexport default d;\n",
    "dist/units/metre.js": "export const cm = 100;\n",
    "dist/units/metre.d.ts": "export declare const cm: number;\n",
  });
  writePackage("tla-esm", {
    "package.json": JSON.stringify({ name: "tla-esm", type: "module", exports: { import: "./index.js" } }),
    "index.js": "export const v = await Promise.resolve(1);\n",
  });
  engine = createToolkitEngine({ cwd, log: () => {} });
});
after(async () => {
  await engine.shutdown();
  fs.rmSync(cwd, { recursive: true, force: true });
});

test("an ESM-only package type-checks and loads: named, default and subpath-pattern imports", async () => {
  const { sink, reply } = await run(
    'import d, { triple } from "@demo/esm-only";\nimport { cm } from "@demo/esm-only/units/metre";\n[triple(2), d, cm]',
  );
  assert.equal(reply.status, "ok", JSON.stringify(sink.events));
  assert.equal(sink.result(), "[ 6, 'the default', 100 ]");
});

test("the ESM package's types are checked: a wrong argument is a CompileError", async () => {
  const { reply } = await run('import { triple } from "@demo/esm-only";\ntriple("two")');
  assert.equal(reply.status, "error");
  assert.equal(reply.ename, "CompileError");
  assert.match(reply.evalue!, /Argument of type 'string' is not assignable to parameter of type 'number'/);
});

test("an ESM package with top-level await: an error that names the package and the reason", async () => {
  const { reply } = await run('const m: any = require("tla-esm");');
  assert.equal(reply.status, "error");
  assert.match(reply.evalue!, /Cannot load "tla-esm": it is an ES module that uses top-level await/);
});

test("a subpath the package does not export is Node's own error", async () => {
  const { reply } = await run('const m: any = require("@demo/esm-only/dist/index.js");');
  assert.equal(reply.status, "error");
  assert.match(reply.evalue!, /not defined by "exports"/);
});

test("exports resolution: conditions in the author's order, arrays, patterns, sugar", () => {
  assert.deepEqual(splitSpecifier("@a/b/c/d"), { name: "@a/b", subpath: "./c/d" });
  assert.deepEqual(splitSpecifier("pkg"), { name: "pkg", subpath: "." });
  assert.equal(resolveExports("./main.js", "."), "./main.js");
  assert.equal(resolveExports({ require: "./c.cjs", import: "./m.js" }, "."), "./m.js");
  assert.equal(resolveExports({ ".": [{ browser: "./b.js" }, "./fallback.js"] }, "."), "./fallback.js");
  assert.equal(resolveExports({ ".": { node: { import: "./node.mjs" }, default: "./d.js" } }, "."), "./node.mjs");
  assert.equal(resolveExports({ "./*": "./src/*.js", "./feat/*": "./lib/feat-*.js" }, "./feat/x"), "./lib/feat-x.js");
  assert.equal(resolveExports({ ".": "./m.js" }, "./other"), undefined);
  assert.equal(resolveExports({ require: "./c.cjs" }, "."), undefined);
  const typed = JSON.parse(
    withExportsTypes(JSON.stringify({ exports: { ".": { types: "./t.d.ts", import: "./m.js" }, "./u/*": { types: "./t/*.d.ts" } } })),
  );
  assert.equal(typed.types, "./t.d.ts");
  assert.deepEqual(typed.typesVersions, { "*": { "u/*": ["./t/*.d.ts"] } });
  // subpaths without an explicit types condition, and "./*", are not remapped
  const plain = JSON.stringify({
    types: "./i.d.ts",
    exports: { "./*": { types: "./d/*.d.ts" }, "./x": "./x.js", "./package.json": "./package.json" },
  });
  assert.equal(withExportsTypes(plain), plain);
  const own = JSON.stringify({ types: "./own.d.ts", exports: { ".": { types: "./t.d.ts" } } });
  assert.equal(withExportsTypes(own), own);
  assert.equal(withExportsTypes("{ not json"), "{ not json");
});
