// Nothing outside src/tfjs reaches TensorFlow.js beyond its public API: every use of its
// internals goes through the tfjs layer (internals.ts, hooks.ts, scope-recovery.ts,
// tensor-bytes.ts, kernel-profile.ts, the backends). Read with TypeScript's own parser, so
// comments and strings are not mistaken for code.
//
// What counts as an internal here:
//  1. a module path inside a TensorFlow.js package ("@tensorflow/tfjs-core/dist/...",
//     "@tensorflow/tfjs-backend-wasm/wasm-out/..."), or any import of tfjs-core or a backend
//     package (@tensorflow/tfjs-core, -backend-*, -node, -node-gpu), in import, export from,
//     import(), require() or require.resolve();
//  2. the engine's bookkeeping, by member name, wherever it is read or written:
//     ENGINE_MEMBERS in test/helpers/tfjs-internals-scan.ts (tensorInfo, scopeStack, activeTape, trackTensor, runKernelFunc, ...);
//  3. on the engine (`tf.engine()`, `engineInternals()`, or a variable named `engine`): a cast
//     of the call (`as`), the members `state`, `registry`, `profiler`, `backendInstance`,
//     `pendingBackendInit`, replacing or deleting any member (patching: `engine.runKernel = ...`),
//     Object.defineProperty / getOwnPropertyDescriptor / assign on it;
//  4. on `tf.backend()`: a cast, its private fields (BACKEND_FIELDS there), replacing a member;
//  5. the globals TensorFlow.js keeps its engine in: the identifier `ENGINE`, `getGlobal`,
//     the strings "_tfengine" and "_tfGlobals".
// Public API stays allowed: tf.engine().runKernel (how custom kernels are called),
// tf.engine().registeredVariables, startScope/endScope, tf.memory(), tf.getKernel, ...
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findInternals } from "../helpers/tfjs-internals-scan";

const ROOT = path.resolve(__dirname, "../../..");
const SCANNED = ["src", "bench"];
const ALLOWED = path.join("src", "tfjs") + path.sep;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

test("the scanner finds each kind of internal it counts (and leaves the public API alone)", () => {
  const bad = [
    `import { ENGINE } from "@tensorflow/tfjs-core/dist/engine";`,
    `const k = require("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js");`,
    `import * as core from "@tensorflow/tfjs-core";`,
    `tf.engine().state.numBytes;`,
    `(tf.engine() as unknown as { registry: object }).registry;`,
    `const e = engine(); e.trackTensor = () => {};`,
    `info.tensorInfo.get(t.dataId);`,
    `tf.backend().wasm.HEAPU8;`,
    `(tf.backend() as any).device;`,
    `tf.engine()["profiler"];`,
    `const engine = engineInternals(); engine.state.numBytes;`,
    `engine.runKernel = wrapped;`,
    `delete (tf.engine() as any).runKernel;`,
    `Object.defineProperty(engine, "runKernel", own);`,
    `const g = getGlobal("_tfengine", () => null);`,
  ];
  for (const line of bad) assert.ok(findInternals("bad.ts", line).length > 0, `not found in: ${line}`);
  const good = [
    `import * as tf from "@tensorflow/tfjs";`,
    `tf.engine().runKernel("TfjsLabSiLUGrad", { dy, x, s });`,
    `tf.engine().startScope(); tf.engine().endScope();`,
    `Object.values(tf.engine().registeredVariables);`,
    `tf.memory().numBytes; tf.getKernel("Add", tf.getBackend());`,
    `// tf.engine().state.tensorInfo in a comment`,
    `const s = "tf.engine().state";`,
    `const state = { numBytes: 0 }; state.numBytes++;`,
  ];
  for (const line of good) assert.deepEqual(findInternals("good.ts", line), [], line);
});

test("nothing outside src/tfjs reaches TensorFlow.js internals", () => {
  const files = SCANNED.flatMap((d) => sourceFiles(path.join(ROOT, d)));
  assert.ok(files.length > 100, `scanned ${files.length} files under ${SCANNED.join(", ")}`);
  const violations = files
    .filter((f) => !path.relative(ROOT, f).startsWith(ALLOWED))
    .flatMap((f) => findInternals(f, fs.readFileSync(f, "utf8")).map((v) => `${path.relative(ROOT, f)}:${v}`));
  assert.deepEqual(violations, [], `use the tfjs layer (src/tfjs) instead:\n${violations.join("\n")}`);
});
