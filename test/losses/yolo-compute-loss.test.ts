import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ComputeLoss, computeLoss, type ComputeLossOptions, type YoloLossHyp } from "../../src/toolkit/losses";
import { buildLevelTargets } from "../../src/toolkit/losses/yolo-build-targets";
import { assertAllClose, assertClose, BACKENDS, finiteDifference, loadFixture, useBackend } from "./helpers";

// yolov5 v7.0's own ComputeLoss output on two sets of maps (see test/fixtures)
const reference = loadFixture("yolov5-v7.0-loss-and-decode.json");
// the same maps with the focal, smoothing and pos_weight paths on (test/losses/make_torch_fixtures.py)
const extra = loadFixture("torch-loss-values.json").yolov5_compute_loss_extra;

function optionsFor(c: any, hyp: YoloLossHyp = c.hyp): ComputeLossOptions {
  return { nc: c.nc, anchors: c.anchors_px, strides: c.strides, hyp };
}

for (const backend of BACKENDS) {
  test(`computeLoss reproduces yolov5 v7.0 ComputeLoss on cases A and B (${backend})`, async () => {
    await useBackend(backend);
    for (const name of ["A", "B"]) {
      const c = reference[name];
      const preds = c.preds.map((p: number[]) => tf.tensor(p));
      const { loss, items } = computeLoss(preds, tf.tensor2d(c.targets), optionsFor(c));
      assert.equal(loss.rank, 0);
      assertClose(loss.dataSync()[0], c.loss_total_times_bs, 1e-4, `${name} loss`);
      assertAllClose(items.dataSync(), c.loss_items_box_obj_cls, 1e-4, `${name} items`);
      tf.dispose([loss, items, ...preds]);
    }
  });
}

test("computeLoss with FocalLoss, smooth_BCE, pos_weight and a tighter anchor_t matches the torch port", async () => {
  await useBackend("cpu");
  assert.equal(extra.length, 3);
  for (const e of extra) {
    const c = reference[e.base_case];
    const preds = c.preds.map((p: number[]) => tf.tensor(p));
    const { loss, items } = computeLoss(preds, c.targets, optionsFor(c, e.hyp));
    assertClose(loss.dataSync()[0], e.loss_total_times_bs, 1e-4, `${JSON.stringify(e.hyp)} loss`);
    assertAllClose(items.dataSync(), e.loss_items_box_obj_cls, 1e-4, "items");
  }
});

test("computeLoss is differentiable inside tf.variableGrads and its gradient is right where IoU is not involved", async () => {
  await useBackend("cpu");
  const c = reference.A;
  const opts = optionsFor(c);
  const targets = tf.tensor2d(c.targets);
  const maps = c.preds.map((p: number[]) => tf.variable(tf.tensor(p)));
  let items: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = computeLoss(maps, targets, opts);
    items = out.items;
    return out.loss;
  }, maps);
  assertClose(value.dataSync()[0], c.loss_total_times_bs, 1e-4, "loss from variableGrads");
  assert.ok(items && !items.isDisposed, "items survive variableGrads' tidy");
  const g0 = grads[maps[0].name].dataSync();
  assert.ok(g0.every(Number.isFinite));
  assert.ok(g0.some((v) => v !== 0));

  // Level 0 assignments: a class logit of an assigned cell and the objectness logit of an
  // unassigned cell depend on nothing else, so finite differences must agree there.
  const [bs, na, ny, nx, no] = maps[0].shape;
  const level = buildLevelTargets(
    targets.dataSync(),
    targets.shape[0],
    c.anchors_px[0].map(([w, h]: number[]) => [w / 8, h / 8]),
    [ny, nx],
    4,
  );
  assert.ok(level.image.length > 0, "case A assigns targets on level 0");
  const cell = (b: number, a: number, y: number, x: number) => (((b * na + a) * ny + y) * nx + x) * no;
  const assigned = new Set(level.image.map((b, k) => cell(b, level.anchor[k], level.gridY[k], level.gridX[k])));
  const classIndex = cell(level.image[0], level.anchor[0], level.gridY[0], level.gridX[0]) + 5 + 1;
  let freeCell = 0;
  while (assigned.has(freeCell)) freeCell += no;
  const lossOfLevel0 = (x: tf.Tensor) => computeLoss([x, maps[1], maps[2]], targets, opts).loss;
  const numeric = finiteDifference(lossOfLevel0, maps[0], classIndex, 1e-2);
  assertClose(g0[classIndex], numeric, 2e-2, `d loss / d map0[${classIndex}] (class logit)`);
  // an unassigned objectness logit x: d/dx of bs·obj·balance₀·mean(BCE(x, 0)) = bs·obj·4·σ(x)/numel
  const x = maps[0].dataSync()[freeCell + 4];
  const expected = (bs * c.hyp.obj * 4.0) / (bs * na * ny * nx) / (1 + Math.exp(-x));
  assertClose(g0[freeCell + 4], expected, 1e-4, "d loss / d objectness logit of a free cell");
  assert.equal(bs, 2);
  tf.dispose([value, items!, ...Object.values(grads), ...maps, targets]);
});

test("build_targets: anchor_t matching, neighbour cells and clamping follow yolov5", () => {
  // one target at (x, y) = (0.30, 0.70) of an 8×8 grid → (2.4, 5.6): the cell (2, 5), its
  // left neighbour (x frac 0.4 < 0.5, x > 1) and its lower neighbour ((8 - 5.6) frac 0.4 < 0.5)
  const anchors: [number, number][] = [
    [1, 1],
    [2, 2],
    [8, 8],
  ];
  const level = buildLevelTargets([0, 3, 0.3, 0.7, 0.125, 0.125], 1, anchors, [8, 8], 4);
  // w = h = 1 grid cell: ratios 1, 2, 8 → anchors 0 and 1 match, 2 does not
  assert.deepEqual(level.anchor, [0, 1, 0, 1, 0, 1]);
  assert.deepEqual(level.gridX, [2, 2, 1, 1, 2, 2]);
  assert.deepEqual(level.gridY, [5, 5, 5, 5, 6, 6]);
  assert.deepEqual(level.classId, [3, 3, 3, 3, 3, 3]);
  assertAllClose(level.box.slice(8, 12), [1.4, 0.6, 1, 1], 1e-6, "neighbour box is relative to the neighbour cell");
  // a target at the very edge is clamped into the grid
  const edge = buildLevelTargets([0, 0, 1.0, 1.0, 0.125, 0.125], 1, [[1, 1]], [8, 8], 4);
  assert.ok(edge.gridX.every((x) => x <= 7) && edge.gridY.every((y) => y <= 7));
});

test("autobalance updates the level weights as yolov5 does", async () => {
  await useBackend("cpu");
  const c = reference.A;
  const lossFn = new ComputeLoss({ ...optionsFor(c), autobalance: true });
  const preds = c.preds.map((p: number[]) => tf.tensor(p));
  const { loss, items } = lossFn.call(preds, c.targets);
  const balance = await lossFn.balanceValues(); // kept on the device, so no synchronous read on webgpu
  assert.equal(balance[1], 1, "normalised to the stride-16 level");
  assert.notDeepEqual(balance, [4.0, 1.0, 0.4]);
  tf.dispose([loss, items, ...preds]);
  lossFn.dispose();
});

test("the losses leave only their outputs behind (no leaked tensors)", async () => {
  await useBackend("cpu");
  const c = reference.B;
  const preds = c.preds.map((p: number[]) => tf.tensor(p));
  const before = tf.memory().numTensors;
  const { loss, items } = computeLoss(preds, c.targets, optionsFor(c));
  assert.equal(tf.memory().numTensors, before + 2, "loss and items");
  tf.dispose([loss, items]);
  const grads = tf.grads((...xs: tf.Tensor[]) => {
    const out = computeLoss(xs, c.targets, optionsFor(c));
    out.items.dispose();
    return out.loss;
  })(preds);
  assert.equal(tf.memory().numTensors, before + 3, "three gradients");
  tf.dispose([...grads, ...preds]);
});
