// %timeit and %%time on webgpu (SwiftShader) wait for the work they time, not only its
// dispatch, and %timeit frees what each loop made, on webgpu and on wasm.
import { useWebgpu, requireSwiftShader } from "./swiftshader";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { cellRunner } from "../magics/run-cell";

before(requireSwiftShader);
const cells = cellRunner();
after(() => cells.engine.shutdown());

const UNITS: Record<string, number> = { ns: 1e-9, "\u00b5s": 1e-6, us: 1e-6, ms: 1e-3, s: 1 };

/** Seconds per loop from IPython's line "12.3 ms ± 1.2 ms per loop (...)". */
function perLoop(text: string): number {
  const m = /([\d.]+) (ns|\u00b5s|us|ms|s) \u00b1 [\d.]+ \S+ per loop/.exec(text);
  assert.ok(m, text);
  return Number(m[1]) * UNITS[m[2]];
}

/** Seconds of "Wall time: 1.23 s" from %%time. */
function wallTime(text: string): number {
  const m = /Wall time: ([\d.]+) (ns|\u00b5s|us|ms|s)\n/.exec(text);
  assert.ok(m, text);
  return Number(m[1]) * UNITS[m[2]];
}

const ok = (code: string) => cells.ok(code);

/** What one matMul really takes on the device (dispatch to values read), and its dispatch alone. */
async function matMulTimes(): Promise<{ work: number; dispatch: number }> {
  const a = tf.randomNormal([192, 192]),
    b = tf.randomNormal([192, 192]);
  await tf.matMul(a, b).data(); // pipelines compiled
  const works: number[] = [],
    dispatches: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    dispatches.push(performance.now() - t0);
    await c.data();
    works.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  works.sort((x, y) => x - y);
  dispatches.sort((x, y) => x - y);
  return { work: works[1] / 1e3, dispatch: dispatches[1] / 1e3 };
}

test("%timeit and %%time on webgpu time the device's work, not the dispatch", async (t) => {
  await useWebgpu();
  const { work, dispatch } = await matMulTimes();
  // What makes the test able to fail: a timer that stops at dispatch would read far less.
  assert.ok(work > 5 * dispatch, `a 192x192 matMul: ${work} s of work, ${dispatch} s to dispatch`);
  await ok("const a = tf.randomNormal([192, 192]), b = tf.randomNormal([192, 192]);");
  const timeit = perLoop(await ok("%timeit -n 2 -r 3 tf.matMul(a, b)"));
  assert.ok(timeit > 0.4 * work, `%timeit ${timeit} s per loop; the work takes ${work} s`);
  const wall = wallTime(await ok("%%time\nfor (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();"));
  assert.ok(wall > 3 * 0.4 * work, `%%time of 3 matMuls: ${wall} s; one takes ${work} s`);
  t.diagnostic(
    `matMul 192^3 on SwiftShader: ${(work * 1e3).toFixed(1)} ms of work, ${(dispatch * 1e3).toFixed(2)} ms to dispatch; ` +
      `%timeit ${(timeit * 1e3).toFixed(1)} ms per loop; %%time of 3: ${(wall * 1e3).toFixed(1)} ms`,
  );
  await ok("tf.dispose([a, b]);");
});

for (const backend of ["webgpu", "wasm"] as const) {
  test(`%timeit on ${backend} frees each loop's tensors, except those its variables hold`, async () => {
    if (backend === "webgpu") await useWebgpu();
    else await switchBackend("wasm");
    await ok("const x = tf.ones([64, 64]);");
    const before = tf.memory().numTensors;
    await ok("%timeit -n 50 -r 2 tf.relu(tf.add(tf.mul(x, 2), 1))");
    assert.equal(tf.memory().numTensors, before, "nothing left by 100 loops of three ops");
    await ok("%%timeit -n 5 -r 1\nawait tf.sum(tf.add(x, 1)).data();");
    assert.equal(tf.memory().numTensors, before, "nothing left by awaited loops");
    await ok("let y = tf.zeros([1]); let pair = [tf.zeros([1])];");
    await ok("%timeit -n 10 -r 2 y.dispose(); y = tf.add(x, 1); pair[0].dispose(); pair[0] = tf.sub(x, 1)");
    // The last loop's y and pair[0] are the user's: alive and right; every other loop's freed.
    assert.equal(tf.memory().numTensors, before + 2);
    const values = await ok("console.log((await y.data())[0], (await pair[0].data())[0]);");
    assert.equal(values, "2 0\n");
    await ok("tf.dispose([x, y, pair[0]]);");
  });
}
