// Shared by the loss tests: fixtures, backends and tolerance checks.
import * as fs from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

const FIXTURES = path.resolve(__dirname, "../../../test/fixtures");

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as T;
}

/** The reference backend and the default CPU backend; each value test runs on both. */
export const BACKENDS = ["cpu", "wasm"] as const;

export async function useBackend(name: string): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  assert.equal(tf.getBackend(), name);
}

export function assertClose(actual: number, expected: number, relTol: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-6);
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(
    Math.abs(actual - expected) / scale <= relTol,
    `${what}: got ${actual}, expected ${expected} (relative error ${Math.abs(actual - expected) / scale} > ${relTol})`,
  );
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relTol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], relTol, `${what}[${i}]`);
}

/** Asserts `fn` throws an Error with exactly this Python exception name and message. */
export function assertPythonError(fn: () => unknown, expected: { name: string; message: string }): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, "not an Error");
    assert.equal(e.name, expected.name);
    assert.equal(e.message, expected.message);
    // The first frame is the check that raised it, not the helper that built the error.
    const firstFrame = (e.stack ?? "").split("\n").find((l) => /^\s+at /.test(l)) ?? "";
    assert.doesNotMatch(firstFrame, /framework-error|at (pythonError|namedError|frameworkError) /, `first frame: ${firstFrame}`);
    return true;
  });
}

/** Central finite difference of a scalar function of `x` at element `index`, in float64 on the host. */
export function finiteDifference(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, index: number, h = 1e-2): number {
  const values = Float32Array.from(x.dataSync());
  const at = (delta: number): number => {
    const v = Float32Array.from(values);
    v[index] += delta;
    return tf.tidy(() => f(tf.tensor(v, x.shape)).dataSync()[0]);
  };
  return (at(h) - at(-h)) / (2 * h);
}
