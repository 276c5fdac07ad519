import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accumulateFor,
  interp,
  loaderBatchSizes,
  lrLambda,
  roundHalfEven,
  scaledWeightDecay,
  warmupAccumulate,
  warmupIterations,
  warmupLr,
  warmupMomentum,
} from "../../src/toolkit/train";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("roundHalfEven rounds halves like numpy/Python 3", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -0, -2, 2, 3]);
});

test("accumulate = max(round(nbs / batch_size), 1)", () => {
  // 64/16 = 4; 64/24 = 2.67 -> 3; 64/40 = 1.6 -> 2; 64/48 = 1.33 -> 1; 64/128 = 0.5 -> 0 -> 1
  assert.deepEqual(
    [16, 24, 40, 48, 64, 128, 1].map((b) => accumulateFor(b)),
    [4, 3, 2, 1, 1, 1, 64],
  );
});

test("weight_decay *= batch_size * accumulate / nbs", () => {
  close(scaledWeightDecay(0.0005, 16, 4), 0.0005);
  close(scaledWeightDecay(0.0005, 24, 3), (0.0005 * 72) / 64);
  close(scaledWeightDecay(0.0005, 40, 2), 0.000625);
  close(scaledWeightDecay(0.0005, 128, 1), 0.001);
});

test("nw = max(round(warmup_epochs * nb), 100)", () => {
  assert.equal(warmupIterations(3, 10), 100);
  assert.equal(warmupIterations(3, 200), 600);
  assert.equal(warmupIterations(0.5, 301, 0), 150); // round(150.5) = 150
});

test("warm-up accumulate = max(1, interp(ni, [0, nw], [1, nbs/bs]).round())", () => {
  // interp(ni, [0, 100], [1, 4]) = 1 + 0.03 ni
  const got = [0, 16, 17, 50, 83, 84, 100, 150].map((ni) => warmupAccumulate(ni, 100, 64, 16));
  assert.deepEqual(got, [1, 1, 2, 2, 3, 4, 4, 4]); // 1.48->1, 1.51->2, 2.5->2, 3.49->3, 3.52->4
  assert.equal(warmupAccumulate(10, 100, 64, 128), 1);
});

test("warm-up lr and momentum interpolate as YOLOv5", () => {
  close(warmupLr(50, 100, true, 0.1, 0.01), 0.055);
  close(warmupLr(50, 100, false, 0.1, 0.01), 0.005);
  close(warmupLr(100, 100, true, 0.1, 0.01), 0.01);
  close(warmupMomentum(50, 100, 0.8, 0.937), 0.8685);
  close(interp(5, [0, 10], [2, 4]), 3);
  close(interp(-1, [0, 10], [2, 4]), 2);
});

test("lr schedules: linear and one_cycle cosine", () => {
  const lin = lrLambda("linear", 300, 0.01),
    cos = lrLambda("cosine", 300, 0.01);
  close(lin(0), 1);
  close(lin(150), 0.505);
  close(lin(300), 0.01);
  close(cos(0), 1);
  close(cos(150), 0.505);
  close(cos(300), 0.01, 1e-12);
  close(cos(75), ((1 - Math.cos(Math.PI / 4)) / 2) * -0.99 + 1);
});

test("loader batch sizes: train batch // WORLD_SIZE, val doubled", () => {
  assert.deepEqual(loaderBatchSizes(16), { train: 16, val: 32 });
  assert.deepEqual(loaderBatchSizes(64, 4), { train: 16, val: 32 });
  assert.deepEqual(loaderBatchSizes(30, 4), { train: 7, val: 14 });
  assert.deepEqual(loaderBatchSizes(16, 1, { valMultiplier: 1 }), { train: 16, val: 16 });
});
