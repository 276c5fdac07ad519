// The cell transforms on compiled JavaScript as tslab writes it: each transform's edits, the
// one edit applier, and the transformed code run against a namespace object (behaviour, not
// only text). Interrupt checks are covered in interrupts.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CellEdits,
  defineThroughNamespace,
  expandNamespaceShorthands,
  hoistLoopLocals,
  transformCell,
  type CellTransform,
} from "../../src/engine/cell-transforms";

const only = (t: CellTransform, js: string, names: string[] = []) => transformCell(js, new Set(names), [t]).js;

/** Runs transformed cell code with `ns` as the namespace, as the executor does (interrupts never raised). */
function runCell(js: string, ns: Record<string, unknown>): Record<string, unknown> {
  const define = (o: Record<string, unknown>, name: string, attrs: PropertyDescriptor) => {
    if (name !== "__esModule") o[name] = attrs.get ? attrs.get() : attrs.value;
    return o;
  };
  const flag = new Int32Array(3);
  new Function("exports", "__lab_define", "__lab_tick", "__lab_resume", "__lab_flag", js)(
    ns,
    define,
    () => {},
    (v: unknown) => v,
    flag,
  );
  return ns;
}

test("edits apply once, in order, and two edits of the same text are refused", () => {
  const e = new CellEdits("first");
  e.replace(4, 7, "BBB");
  e.insert(4, "<", 0);
  e.insert(7, ">", 0);
  e.insert(0, "[", -1);
  e.insert(0, "(", 1);
  assert.equal(e.apply("aaa bbb ccc"), "[(aaa <BBB> ccc");
  const clash = new CellEdits("one").forTransform("loop locals");
  clash.replace(2, 6, "x");
  clash.forTransform("namespace shorthands").replace(4, 8, "y");
  assert.throws(
    () => clash.apply("0123456789"),
    /cell transforms overlap: namespace shorthands's edit \[4, 8\) meets loop locals's \[2, 6\)/,
  );
  assert.throws(() => {
    const past = new CellEdits();
    past.replace(3, 20, "");
    past.apply("short");
  }, /overlap/);
});

test("loop locals: a top-level loop reads and writes earlier cells' variables through locals, written back in a finally", () => {
  const js = "for (let i = 0; i < 4; i++) {\n    exports.total += i * exports.scale;\n}\n";
  const out = only(hoistLoopLocals, js, ["total", "scale"]);
  assert.match(out, /let __lab_local_total = exports\.total; let __lab_local_scale = exports\.scale; try \{/);
  assert.match(out, /__lab_local_total \+= i \* __lab_local_scale;/);
  assert.match(out, /finally \{ exports\.total = __lab_local_total; \} \}\n$/);
  assert.doesNotMatch(out, /exports\.scale = /, "a variable only read is not written back");
  assert.deepEqual(runCell(out, { total: 1, scale: 10 }), { total: 61, scale: 10 });
});

test("loop locals: a cell's own variable assigned in a loop from an earlier cell's is mirrored once, after the loop", () => {
  // tslab writes `let m = 0; for (...) m += i * scale;` so; the old string pass garbled `scale` here
  const js = "let m = 0;\nexports.m = m;\nfor (let i = 0; i < 3; i++)\n    exports.m = m += i * exports.scale;\n";
  const out = only(hoistLoopLocals, js, ["scale"]);
  assert.match(out, /m \+= i \* __lab_local_scale;/);
  assert.match(out, /finally \{ exports\.m = m; \}/);
  assert.deepEqual(runCell(out, { scale: 10 }), { scale: 10, m: 30 });
});

test("loop locals: loops that wait, call the namespace's functions or close over a variable keep the namespace", () => {
  const waits = "for (const v of exports.xs) {\n    await exports.p;\n    exports.total += v;\n}\n";
  assert.equal(only(hoistLoopLocals, waits, ["xs", "total", "p"]), waits);
  const calls = "while (exports.k < 3) {\n    exports.bump();\n}\n";
  assert.equal(only(hoistLoopLocals, calls, ["k", "bump"]), calls);
  // `k` is read by a function made in the loop: it stays on the namespace, `total` is hoisted
  const closes = "for (let i = 0; i < 3; i++) {\n    exports.fns.push(() => exports.k);\n    exports.total += exports.k;\n}\n";
  const out = only(hoistLoopLocals, closes, ["fns", "k", "total"]);
  assert.match(out, /\(\) => exports\.k\)/);
  assert.match(out, /__lab_local_total \+= exports\.k/);
  const ns = runCell(out, { fns: [], k: 2, total: 0 }) as { fns: (() => number)[]; total: number };
  assert.equal(ns.total, 6);
  assert.equal(ns.fns.length, 3);
});

test("namespace shorthands: { x } of an earlier cell's variable reads the namespace, a local x is left alone", () => {
  const js =
    "const o = { kept, other };\nfunction f(kept) {\n    return { kept };\n}\ntry { g(); } catch (other) { h({ other }); }\nfor (const kept of []) q({ kept });\n";
  const out = only(expandNamespaceShorthands, js, ["kept", "other"]);
  assert.match(out, /const o = \{ kept: exports\.kept, other: exports\.other \};/);
  assert.match(out, /return \{ kept \};/);
  assert.match(out, /h\(\{ other \}\)/);
  assert.match(out, /q\(\{ kept \}\)/);
  assert.equal(only(expandNamespaceShorthands, "const o = { unknown };", ["kept"]), "const o = { unknown };");
});

test("a shorthand of a loop's variable inside the loop reads the namespace; the loop's other variables still hoist", () => {
  const js = "for (let i = 0; i < 3; i++) {\n    exports.total += i;\n    exports.seen.push({ total });\n}\n";
  const out = transformCell(js, new Set(["total", "seen"])).js;
  assert.match(out, /exports\.total \+= i;/);
  assert.match(out, /__lab_local_seen\.push\(\{ total: exports\.total \}\)/);
  const ns = runCell(out, { total: 0, seen: [] }) as { total: number; seen: { total: number }[] };
  assert.deepEqual(
    ns.seen.map((s) => s.total),
    [0, 1, 3],
  );
});

test("namespace defines: only Object.defineProperty on the namespace goes through the engine's define, never text in a string", () => {
  const js =
    'Object.defineProperty(exports, "__esModule", { value: true });\nObject.defineProperty(exports, "fs", { enumerable: true, get: function () { return m.fs; } });\nObject.defineProperty(o, "k", {});\nconst s = "Object.defineProperty(exports, ";\n';
  const out = only(defineThroughNamespace, js);
  assert.equal(out.split("__lab_define(exports, ").length - 1, 2);
  assert.match(out, /Object\.defineProperty\(o, "k"/);
  assert.match(out, /const s = "Object\.defineProperty\(exports, ";/);
});

test("all transforms on one tree: an unbraced loop body gets its check and its locals, and runs as before", () => {
  const js =
    'Object.defineProperty(exports, "__esModule", { value: true });\nlet n = 0;\nexports.n = n;\nfor (const v of exports.xs)\n    exports.n = n += v;\n';
  const out = transformCell(js, new Set(["xs"])).js;
  assert.equal(
    out,
    '__lab_define(exports, "__esModule", { value: true });\nlet n = 0;\nexports.n = n;\n' +
      "{ let __lab_local_xs = exports.xs; try {\nfor (const v of __lab_local_xs)\n    { if (__lab_flag[0] !== __lab_flag[2]) __lab_tick(); n += v; }\n} finally { exports.n = n; } }\n",
  );
  assert.deepEqual(runCell(out, { xs: [1, 2, 3] }), { xs: [1, 2, 3], n: 6 });
});

test("a cell awaits at its top level when its own code waits, also in a for await nested in a loop, not when only its functions do", () => {
  assert.equal(transformCell("for (;;) { for await (const v of exports.it) f(v); break; }", new Set()).awaitsAtTopLevel, true);
  assert.equal(transformCell("const v = await p;", new Set()).awaitsAtTopLevel, true);
  assert.equal(transformCell("async function g() { await p; }\nclass C { async m() { await p; } }", new Set()).awaitsAtTopLevel, false);
});
