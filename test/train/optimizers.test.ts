import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Adam, type ParamGroup, SGD, yoloParamGroups } from "../../src/toolkit/train";

// Reference trajectories from torch.optim (PyTorch 1.13, float64): p0 = [1, -2, 0.5],
// gradient at step s (1-based) = s * [0.5, 1, -0.25], lr 0.1.
const REF = {
  sgdNesterov: [
    [0.886, -2.152, 0.538],
    [0.630566, -2.555912, 0.638978],
    [0.20166865, -3.28023847, 0.82005962],
  ], // momentum 0.9, wd 0.1
  sgdPlain: [
    [0.95, -2.1, 0.525],
    [0.805, -2.39, 0.5975],
    [0.5245, -2.951, 0.73775],
  ], // momentum 0.9
  adam: [
    [0.9, -2.1, 0.6],
    [0.80250297, -2.19527201, 0.69546523],
    [0.70569529, -2.28991326, 0.7902726],
  ], // wd 0.1
  adamw: [
    [0.89, -2.08, 0.595],
    [0.7845818, -2.1557182, 0.6855682],
    [0.68093586, -2.22996114, 0.77451263],
  ], // wd 0.1
};

function trajectory(make: (groups: ParamGroup[]) => SGD | Adam, weightDecay: number, momentum = 0.9): number[][] {
  const p = tf.variable(tf.tensor1d([1, -2, 0.5]), true);
  const opt = make([{ name: "g", params: [p], paramNames: ["w"], lr: 0.1, initialLr: 0.1, weightDecay, momentum }]);
  const out: number[][] = [];
  for (let s = 1; s <= 3; s++) {
    const g = tf.tensor1d([0.5 * s, 1 * s, -0.25 * s]);
    opt.step({ [p.name]: g });
    g.dispose();
    out.push(Array.from(p.dataSync()));
  }
  opt.dispose();
  p.dispose();
  return out;
}

function assertClose(got: number[][], want: number[][], tol = 2e-5) {
  got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= tol, `step ${i + 1}[${j}]: ${v} vs ${want[i][j]}`)));
}

test("SGD with nesterov momentum and weight decay matches torch.optim.SGD", async () => {
  await tf.setBackend("cpu");
  assertClose(
    trajectory((g) => new SGD(g, { nesterov: true }), 0.1),
    REF.sgdNesterov,
  );
  assertClose(
    trajectory((g) => new SGD(g), 0),
    REF.sgdPlain,
  );
});

test("Adam and AdamW match torch.optim", () => {
  assertClose(
    trajectory((g) => new Adam(g), 0.1),
    REF.adam,
  );
  assertClose(
    trajectory((g) => new Adam(g, { decoupled: true }), 0.1),
    REF.adamw,
  );
});

test("optimizer steps do not leak tensors", () => {
  const p = tf.variable(tf.ones([4, 4]), true);
  const opt = new Adam([{ name: "g", params: [p], paramNames: ["w"], lr: 0.01, initialLr: 0.01, weightDecay: 0.01, momentum: 0.9 }]);
  const g = tf.ones([4, 4]);
  opt.step({ [p.name]: g }); // creates the two slots
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.step({ [p.name]: g });
  assert.equal(tf.memory().numTensors, before);
  g.dispose();
  opt.dispose();
  p.dispose();
});

test("YOLOv5 parameter groups: biases, decayed weights, BN weights", () => {
  const v = (shape: number[]) => tf.variable(tf.zeros(shape), true);
  const named: [string, tf.Variable][] = [
    ["model.0.conv.weight", v([3, 3, 3, 16])],
    ["model.0.bn.weight", v([16])],
    ["model.0.bn.bias", v([16])],
    ["model.24.m.0.weight", v([1, 1, 16, 255])],
    ["model.24.m.0.bias", v([255])],
  ];
  const [bias, decay, bn] = yoloParamGroups(named, { lr: 0.01, momentum: 0.937, weightDecay: 5e-4 });
  assert.deepEqual(bias.paramNames, ["model.0.bn.bias", "model.24.m.0.bias"]);
  assert.deepEqual(decay.paramNames, ["model.0.conv.weight", "model.24.m.0.weight"]);
  assert.deepEqual(bn.paramNames, ["model.0.bn.weight"]);
  assert.equal(bias.weightDecay, 0);
  assert.equal(decay.weightDecay, 5e-4);
  assert.equal(bn.weightDecay, 0);
  named.forEach(([, p]) => p.dispose());
});
