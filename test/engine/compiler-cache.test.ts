// The compiler's cache of conversions: a repeated cell skips tslab's converter, but never
// hides a type error, a change of earlier cells' declarations or a change of a local file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createCompiler, type Compiler } from "../../src/engine/compiler";
import { ConvertCache } from "../../src/engine/convert-cache";

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-compiler-cache-"));
let compiler: Compiler;

before(() => {
  fs.writeFileSync(path.join(cwd, "helper.ts"), "export const k: number = 1;\n");
  // No prelude: these tests need no preloaded packages, and skipping them keeps this file fast.
  compiler = createCompiler(cwd, "");
});
after(() => {
  compiler.close();
  fs.rmSync(cwd, { recursive: true, force: true });
});

function messages(src: string): string[] {
  return compiler.convert(src).diagnostics.map((d) => d.messageText);
}

test("a repeated cell gets the first conversion back (same object, not converted again)", () => {
  const first = compiler.convert("1 + 1");
  assert.deepEqual(first.diagnostics, []);
  assert.equal(first.lastExpressionVar, "tsLastExpr");
  assert.match(first.output!, /tsLastExpr = 1 \+ 1/);
  assert.equal(compiler.convert("1 + 1"), first);
  assert.notEqual(compiler.convert("1 + 2"), first);
});

test("a cell with a type error reports it every time it runs", () => {
  const src = "const s: string = 1;";
  const first = messages(src);
  assert.deepEqual(first, ["Type 'number' is not assignable to type 'string'."]);
  assert.deepEqual(messages(src), first);
});

test("the same cell after other declarations is checked against them", () => {
  const cell = "n.toFixed(1)";
  const asNumber = compiler.convert("let n: number = 1;");
  compiler.commit(asNumber.declOutput!);
  assert.deepEqual(messages(cell), []);
  assert.deepEqual(messages(cell), []);
  const asString = compiler.convert("let n: string = 'a';");
  compiler.commit(asString.declOutput!);
  assert.match(messages(cell).join("\n"), /^Property 'toFixed' does not exist on type 'string'\./);
  compiler.commit("");
});

test("a cell that imports a local file is checked again once the file changes", async () => {
  const cell = 'import { k } from "./helper";\nk.toFixed(1)';
  const first = compiler.convert(cell);
  assert.deepEqual(first.diagnostics, []);
  assert.equal(first.sideOutputs?.length, 1, "the first run emits helper.js");
  const second = compiler.convert(cell);
  assert.equal(second.sideOutputs, undefined);
  assert.equal(compiler.convert(cell), second, "the second conversion is cached");
  fs.writeFileSync(path.join(cwd, "helper.ts"), 'export const k: string = "a";\n');
  // The TypeScript program learns of the change from its file watcher, as tslab does.
  const deadline = Date.now() + 20_000;
  let diags: string[] = [];
  while (Date.now() < deadline) {
    diags = messages(cell);
    if (diags.length > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(diags.join("\n"), /^Property 'toFixed' does not exist on type 'string'\./);
});

test("the cache keeps its most recently used entries", () => {
  const cache = new ConvertCache(2);
  const result = (n: number) => ({ output: `exports.v = ${n};`, declOutput: "", diagnostics: [], hasToplevelAwait: false });
  cache.set("", "a", result(1));
  cache.set("", "b", result(2));
  assert.ok(cache.get("", "a"));
  cache.set("", "c", result(3));
  assert.ok(cache.get("", "a"));
  assert.equal(cache.get("", "b"), undefined);
  assert.ok(cache.get("", "c"));
  cache.set("", "bad", {
    diagnostics: [
      { messageText: "x", start: { offset: 0, line: 0, character: 0 }, end: { offset: 0, line: 0, character: 0 }, category: 1, code: 1 },
    ],
  } as never);
  assert.equal(cache.get("", "bad"), undefined);
});
