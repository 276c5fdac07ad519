// The one dispatcher on TensorFlow.js's engine (src/tfjs/hooks.ts), on the real engine
// (cpu backend): several subscribers at once in any order, a subscriber that throws, the
// kernel gate, profiled kernel errors, and the engine restored when the last one leaves.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { subscribeTfHooks, tfHooksInstalled, type TfHookSubscriber } from "../../src/tfjs/hooks";

const PATCHED = ["trackTensor", "disposeTensor", "removeDataId", "runKernel", "runKernelFunc"];
const engine = () => tf.engine() as unknown as Record<string, unknown> & { profiler: Record<string, unknown> };

/** True when the engine runs its own methods (no own property shadows its prototype's). */
function engineIsPristine(): boolean {
  const e = engine();
  return PATCHED.every((k) => !Object.hasOwn(e, k)) && !Object.hasOwn(e.profiler, "profileKernel");
}

/** A subscriber that writes down what it was told, in order. */
function recorder(name: string): TfHookSubscriber & { log: string[] } {
  const log: string[] = [];
  return {
    name,
    log,
    tensorTracked: (e) => log.push(`tracked ${e.tensor.id} ${e.tensor.dtype} ${e.backend} new=${e.newData} ${e.bufferBytes}`),
    tensorDisposed: (t) => log.push(`disposed ${t.id}`),
    dataFreed: () => log.push("freed"),
    kernelStart: (c) => log.push(`start ${c.name}`),
    kernelEnd: (c, err) => log.push(`end ${c.name}${err ? " threw" : ""}`),
  };
}

before(async () => {
  await tf.setBackend("cpu");
  assert.ok(engineIsPristine(), "nothing wraps the engine before the tests");
});

test("two subscribers see the same events; each may leave first; the engine is restored after the last", () => {
  for (const leaveFirst of ["a", "b"]) {
    const a = recorder("a"),
      b = recorder("b");
    const offA = subscribeTfHooks(a);
    const offB = subscribeTfHooks(b);
    assert.ok(tfHooksInstalled());
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.add(x, 1);
    x.dispose();
    y.dispose();
    assert.ok(a.log.length > 0);
    assert.deepEqual(a.log, b.log, "same events, same order, for both");
    assert.ok(a.log.includes(`tracked ${y.id} float32 cpu new=true 12`), a.log.join("\n"));
    assert.ok(a.log.includes("start Add") && a.log.includes("end Add"), a.log.join("\n"));
    assert.ok(a.log.includes(`disposed ${x.id}`) && a.log.filter((l) => l === "freed").length >= 2, a.log.join("\n"));
    // The one that stays keeps receiving, whichever leaves first.
    const [first, second, offFirst, offSecond] = leaveFirst === "a" ? [a, b, offA, offB] : [b, a, offB, offA];
    offFirst();
    const before = first.log.length;
    tf.tidy(() => tf.mul(tf.scalar(2), 3));
    assert.equal(first.log.length, before, "nothing reaches a subscriber that left");
    assert.ok(
      second.log.slice(-12).some((l) => l === "start Multiply"),
      second.log.join("\n"),
    );
    assert.ok(tfHooksInstalled(), "still wrapped while one subscriber remains");
    offSecond();
    offSecond(); // a second call does nothing
    assert.ok(engineIsPristine(), `engine restored after ${leaveFirst} left first`);
  }
});

test("a view of a buffer is tracked as not new and frees nothing until its last tensor goes", () => {
  const r = recorder("r");
  const off = subscribeTfHooks(r);
  try {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const v = tf.reshape(x, [4]); // shares x's buffer
    assert.ok(r.log.includes(`tracked ${v.id} float32 cpu new=false 16`), r.log.join("\n"));
    const freedBefore = r.log.filter((l) => l === "freed").length;
    x.dispose();
    assert.equal(r.log.filter((l) => l === "freed").length, freedBefore, "v still holds the buffer");
    v.dispose();
    assert.equal(r.log.filter((l) => l === "freed").length, freedBefore + 1);
  } finally {
    off();
  }
});

test("a subscriber that throws is reported once and skipped; the op and the other subscribers go on", () => {
  const errors: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    errors.push(args.map(String).join(" "));
  };
  const good = recorder("good");
  const offBad = subscribeTfHooks({
    name: "a broken subscriber",
    tensorTracked: () => {
      throw new Error("boom");
    },
    kernelStart: () => {
      throw new Error("bang");
    },
  });
  const offGood = subscribeTfHooks(good);
  try {
    const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([10, 20])));
    assert.deepEqual(Array.from(y.dataSync()), [11, 22], "the kernel's result is unchanged");
    y.dispose();
    assert.ok(good.log.includes("start Add") && good.log.some((l) => l.startsWith(`tracked ${y.id}`)), good.log.join("\n"));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(
      errors[0],
      /^tfjs-lab: a broken subscriber's (tensorTracked|kernelStart) hook failed and was skipped \(TensorFlow\.js went on; reported once\): Error: (boom|bang)/,
    );
  } finally {
    console.error = consoleError;
    offBad();
    offGood();
  }
  assert.ok(engineIsPristine());
});

test("beforeTopLevelKernel stops a top-level kernel by throwing, and is not asked inside one", () => {
  let asked = 0,
    refuse = false;
  const off = subscribeTfHooks({
    name: "gate",
    beforeTopLevelKernel: () => {
      asked++;
      if (refuse) throw new Error("refused");
    },
  });
  try {
    const x = tf.tensor1d([1, 2, 3]);
    const tensorsBefore = tf.memory().numTensors;
    refuse = true;
    assert.throws(() => tf.add(x, x), /refused/);
    assert.equal(tf.memory().numTensors, tensorsBefore, "the kernel did not run");
    refuse = false;
    asked = 0;
    // a custom gradient's forward runs kernels inside runKernelFunc: only the outer one is gated
    const f = tf.customGrad((a) => ({ value: tf.mul(tf.add(a as tf.Tensor, 1), 2), gradFunc: (dy) => dy }));
    const y = f(x) as tf.Tensor;
    assert.equal(asked, 1, "one top-level call, its inner kernels not gated");
    y.dispose();
    x.dispose();
  } finally {
    off();
  }
});

test("under tf.profile a failing kernel throws where it was called while a subscriber asks for it", async () => {
  const failures: string[] = [];
  const off = subscribeTfHooks({
    name: "profile guard",
    throwProfiledKernelErrors: true,
    kernelEnd: (c, err) => {
      if (err) failures.push(`${c.name}: ${(err.error as Error).message}`);
    },
  });
  let caught: unknown;
  try {
    const a = tf.ones([2, 3]),
      b = tf.ones([4, 5]);
    const info = await tf.profile(() => {
      try {
        tf.matMul(a, b);
      } catch (e) {
        caught = e;
      }
      return tf.add(a, 1);
    });
    assert.ok(caught instanceof Error, "the matMul error reached the caller");
    assert.match(failures.join("\n"), /^BatchMatMul: Error in matMul/m);
    assert.ok(
      info.kernels.some((k) => k.name === "Add"),
      "the profile went on after the failure",
    );
    a.dispose();
    b.dispose();
    (info.result as tf.Tensor).dispose();
  } finally {
    off();
    (tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling = false;
  }
});

test("a wrapper put on the engine after ours is kept when our last subscriber leaves, and ours is reused", () => {
  const first = recorder("first");
  const off = subscribeTfHooks(first);
  const e = engine();
  const ours = e.runKernel as (...a: unknown[]) => unknown;
  let theirs = 0;
  const theirWrapper = function (this: unknown, ...args: unknown[]) {
    theirs++;
    return ours.apply(this, args);
  };
  e.runKernel = theirWrapper;
  try {
    off();
    assert.equal(e.runKernel, theirWrapper, "their wrapper stays");
    tf.tidy(() => tf.add(tf.scalar(1), 1));
    assert.equal(theirs, 1, "and still runs (ours below it passes through)");
    const again = recorder("again");
    const off2 = subscribeTfHooks(again);
    tf.tidy(() => tf.add(tf.scalar(1), 1));
    assert.equal(theirs, 2);
    assert.ok(again.log.includes("start Add"), "ours is used again, not stacked a second time");
    assert.equal(again.log.filter((l) => l === "start Add").length, 1, again.log.join("\n"));
    off2();
  } finally {
    // take their wrapper away; then the last subscriber leaving restores the engine
    e.runKernel = ours;
    subscribeTfHooks({ name: "cleanup" })();
  }
  assert.ok(engineIsPristine());
});
