import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { HYP_DEFAULTS, HYP_OPTION_NAMES, resolveHyp, Trainer } from "../../src/toolkit/train";
import { loadRuns } from "../../src/toolkit/runs/load";
import { mse, regressionData, TinyLinear } from "./tiny-models";

const RUN = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "yolov5-v7.0-run", "run");

test("HYP_DEFAULTS is the hyp.yaml a real YOLOv5 v7.0 run wrote with hyp.scratch-low: same names, order and values", () => {
  const [run] = loadRuns(RUN);
  assert.deepEqual(Object.keys(HYP_DEFAULTS), Object.keys(run.hyp));
  assert.deepEqual({ ...HYP_DEFAULTS }, run.hyp);
  assert.ok(Object.isFrozen(HYP_DEFAULTS));
});

test("the camelCase options set their hyps; hyp takes YOLOv5's names; contradictions and bad values are errors that name the setting", () => {
  assert.equal(resolveHyp({}, { weightDecay: 0 }).weight_decay, 0);
  assert.equal(resolveHyp({ warmup_epochs: 1 }).warmup_epochs, 1);
  assert.equal(resolveHyp({ lr0: 0.02 }, { lr0: 0.02 }).lr0, 0.02); // the same value twice is not a contradiction
  for (const [option, name] of Object.entries(HYP_OPTION_NAMES)) assert.equal(resolveHyp({}, { [option]: 0.123 })[name], 0.123, option);
  assert.throws(() => resolveHyp({ lr0: 0.01 }, { lr0: 0.02 }), /lr0: 0\.02 contradicts hyp\.lr0: 0\.01/);
  assert.throws(() => resolveHyp({ weightDecay: 0 }), /unknown name 'weightDecay': the hyp name is 'weight_decay'/);
  assert.throws(() => resolveHyp({ lr_0: 0.1 }), /unknown name 'lr_0'.*lr0, lrf, momentum/);
  assert.throws(() => resolveHyp({ lr0: "0.01" }), /hyp\.lr0 must be a finite number, got "0\.01"/);
  assert.throws(() => resolveHyp({}, { momentum: NaN }), /momentum must be a finite number, got NaN/);
});

test("the trainer runs with its hyp table: defaults, a run's hyp.yaml, and the old option names give the same optimizer", () => {
  const baseline = tf.memory().numTensors;
  const model = new TinyLinear(2, 1);
  const [run] = loadRuns(RUN);
  const made = [
    new Trainer({ model, data: regressionData(1, 16), epochs: 1, loss: mse, batchSize: 16 }),
    new Trainer({ model, data: regressionData(1, 16), epochs: 1, loss: mse, batchSize: 16, hyp: run.hyp }),
    new Trainer({
      model,
      data: regressionData(1, 16),
      epochs: 1,
      loss: mse,
      batchSize: 16,
      lr0: 0.01,
      momentum: 0.937,
      weightDecay: 0.0005,
    }),
  ];
  for (const t of made) {
    assert.deepEqual(t.hyp, { ...HYP_DEFAULTS });
    assert.equal(t.nbs, 64);
    assert.equal(t.accumulate, 4);
    assert.ok(Math.abs(t.weightDecay - 0.0005) < 1e-12); // 0.0005 * 16 * 4 / 64
    assert.deepEqual(
      t.optimizer.paramGroups.map((g) => [g.lr, g.momentum]),
      [
        [0.01, 0.937],
        [0.01, 0.937],
        [0.01, 0.937],
      ],
    );
    t.dispose();
  }
  const custom = new Trainer({
    model,
    data: regressionData(1, 16),
    epochs: 1,
    loss: mse,
    batchSize: 8,
    hyp: { lr0: 0.1, weight_decay: 0.001 },
  });
  assert.equal(custom.optimizer.paramGroups[0].lr, 0.1);
  assert.ok(Math.abs(custom.weightDecay - 0.001) < 1e-12); // 0.001 * 8 * 8 / 64
  custom.dispose();
  assert.throws(
    () => new Trainer({ model, data: regressionData(1, 16), epochs: 1, loss: mse, hyp: { lr0: 0.1 }, lr0: 0.2 }),
    /contradicts hyp\.lr0/,
  );
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline);
});
