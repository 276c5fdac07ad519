// lab.runs.diff (what differs between runs' opt.yaml and hyp.yaml) and lab.runs.figure
// (per-epoch curves, metric names in either spelling, aligned with the session's runs).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runs, curveKey, findCurveName, yoloCurve, yoloCurveNames, collectCurves } from "../../src/toolkit/runs";
import { startRun, clearRuns } from "../../src/toolkit/viz/run-registry";
import { DETECT_COLUMNS, detectRows, hypYaml, optYaml, resultsCsvText, tempDir, writeRun } from "./make-run";

const FIXTURE = path.resolve(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run");
const root = tempDir();
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  clearRuns();
});

writeRun(root, "runs/train/exp", {
  "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(3)),
  "opt.yaml": optYaml({}, "exp"),
  "hyp.yaml": hypYaml(),
});
writeRun(root, "runs/train/exp2", {
  "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(4, 2)),
  "opt.yaml": optYaml({ batch_size: "32", freeze: "\n- 10", cos_lr: "true" }, "exp2"),
  "hyp.yaml": hypYaml({ lr0: "0.02", mosaic: "0.5" }),
});
const [a, b] = runs.load("runs/train/exp*", { cwd: root, onWarning: null });
const rowsOf = (t: ReturnType<typeof runs.diff>) => t.objects() as Record<string, unknown>[];

test("diff: one row per differing key, opt rows then hyp rows, a column per run", () => {
  const t = runs.diff([a, b]);
  assert.deepEqual(t.columnNames(), ["key", "source", "exp", "exp2"]);
  assert.deepEqual(t.objects(), [
    { key: "batch_size", source: "opt", exp: 16, exp2: 32 },
    { key: "freeze", source: "opt", exp: "[0]", exp2: "[10]" },
    { key: "cos_lr", source: "opt", exp: undefined, exp2: true },
    { key: "lr0", source: "hyp", exp: 0.01, exp2: 0.02 },
    { key: "mosaic", source: "hyp", exp: 1, exp2: 0.5 },
  ]);
});

test("diff: bookkeeping keys (name, save_dir...) only when asked, and last; all: true keeps equal keys", () => {
  const t = runs.diff([a, b], { bookkeeping: true });
  assert.deepEqual(t.objects().slice(-2), [
    { key: "name", source: "opt", exp: "exp", exp2: "exp2" },
    { key: "save_dir", source: "opt", exp: "runs/train/exp", exp2: "runs/train/exp2" },
  ]);
  const all = runs.diff([a, b], { all: true });
  assert.ok(rowsOf(all).some((r) => r.key === "epochs" && r.exp === 3 && r.exp2 === 3));
  assert.ok(!rowsOf(all).some((r) => r.key === "name"));
  assert.equal(runs.diff([a]).numRows(), 0, "one run differs from nothing");
  // The same run twice still gets two columns; opt.hyp of v7.0 is not repeated as an opt row.
  const [fx] = runs.load(FIXTURE, { onWarning: null });
  const twice = runs.diff([fx, fx, a], { all: true });
  assert.deepEqual(twice.columnNames(), ["key", "source", "run", "run#2", "exp"]);
  assert.ok(!rowsOf(twice).some((r) => r.key === "hyp" && r.source === "opt"));
});

test("curve names: both spellings reduce to one key", () => {
  for (const [x, y] of [
    ["metrics/mAP_0.5", "mAP@0.5"],
    ["metrics/mAP_0.5:0.95", "mAP@0.5:0.95"],
    ["train/box_loss", "box"],
    ["box_loss", "box"],
    ["x/lr0", "lr0"],
    ["metrics/accuracy_top1", "top1"],
    ["train/loss", "loss"],
    ["mAP50-95", "mAP_0.5:0.95"],
    ["mAP50", "map_0.5"],
  ]) {
    assert.equal(curveKey(x), curveKey(y), `${x} ~ ${y}`);
  }
  assert.notEqual(curveKey("val/box_loss"), curveKey("box"), "a validation loss is not the training loss part");
  assert.equal(
    findCurveName(["metrics/mAP_0.5(B)", "metrics/mAP_0.5(M)"], "mAP_0.5"),
    "metrics/mAP_0.5(B)",
    "segmentation: the box metric",
  );
  assert.equal(findCurveName(DETECT_COLUMNS, "nope"), undefined);
});

test("a YOLOv5 curve is per epoch at x = epoch + 1; loss is box + obj + cls", () => {
  const [fx] = runs.load(FIXTURE, { onWarning: null });
  const map = yoloCurve(fx, "mAP@0.5")!;
  assert.equal(map.perEpoch, true);
  assert.deepEqual(
    map.x,
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.deepEqual(map.y, fx.column("metrics/mAP_0.5"));
  const loss = yoloCurve(fx, "loss")!;
  const first = fx.results.objects({ limit: 1 })[0] as Record<string, number>;
  assert.equal(loss.y[0], first["train/box_loss"] + first["train/obj_loss"] + first["train/cls_loss"]);
  assert.deepEqual(yoloCurve(fx, "box_loss")!.y, yoloCurve(fx, "box")!.y);
  assert.deepEqual(yoloCurve(fx, "val/box_loss")!.y, fx.column("val/box_loss"));
  assert.equal(yoloCurve(fx, "top1"), undefined);
  assert.deepEqual(yoloCurveNames(fx), [
    "loss",
    "box_loss",
    "obj_loss",
    "cls_loss",
    "precision",
    "recall",
    "mAP_0.5",
    "mAP_0.5:0.95",
    "val/box_loss",
    "val/obj_loss",
    "val/cls_loss",
    "lr0",
    "lr1",
    "lr2",
  ]);
});

test("loss of segmentation and classification runs: their own loss parts", () => {
  const seg = ["epoch", "train/box_loss", "train/seg_loss", "train/obj_loss", "train/cls_loss", "metrics/mAP_0.5(B)"];
  writeRun(root, "other/seg", {
    "results.csv": resultsCsvText(seg, [[0, 0.1, 0.2, 0.03, 0.04, 0.6]]),
    "opt.yaml": optYaml(),
    "hyp.yaml": hypYaml(),
  });
  const cls = ["epoch", "train/loss", "val/loss", "metrics/accuracy_top1", "metrics/accuracy_top5", "lr/0"];
  writeRun(root, "other/cls", {
    "results.csv": resultsCsvText(cls, [[0, 2.3, 2.2, 0.4, 0.8, 0.001]]),
    "opt.yaml": optYaml(),
    "hyp.yaml": hypYaml(),
  });
  const [c, s] = runs.load("other/*", { cwd: root, onWarning: null });
  assert.ok(Math.abs(yoloCurve(s, "loss")!.y[0] - 0.37) < 1e-12);
  assert.deepEqual(yoloCurve(s, "mAP@0.5")!.y, [0.6]);
  assert.deepEqual(yoloCurve(c, "loss")!.y, [2.3]);
  assert.deepEqual(yoloCurve(c, "top1")!.y, [0.4]);
  assert.deepEqual(
    s.bestMetrics().map((m) => m.column),
    ["metrics/mAP_0.5(B)"],
  );
  assert.deepEqual(
    c.bestMetrics().map((m) => [m.column, m.value]),
    [
      ["metrics/accuracy_top1", 0.4],
      ["metrics/accuracy_top5", 0.8],
    ],
  );
});

test("figure: YOLOv5 runs with the session's runs, names mapped, per epoch with markers", () => {
  clearRuns();
  const s = startRun({ name: "exp", batchesPerEpoch: 2 });
  s.iterations = { ni: [0, 1, 2, 3], x: [0.5, 1, 1.5, 2], loss: [4, 3, 2, 1], items: { box: [1, 0.8, 0.6, 0.4] }, lr: [] };
  s.epochEnds = { epoch: [0, 1], trainLoss: [3.5, 1.5], items: {}, metrics: { "mAP@0.5": [0.2, 0.4] }, epochMs: [1, 1] };
  const fig = runs.figure([a, b], { metric: "mAP_0.5", sessionRuns: [s] }) as unknown as {
    data: { name: string; x: number[]; y: number[]; mode: string }[];
    layout: any;
  };
  assert.deepEqual(
    fig.data.map((t) => [t.name, t.mode]),
    [
      ["exp", "lines+markers"],
      ["exp (YOLOv5)", "lines+markers"],
      ["exp2", "lines+markers"],
    ],
  );
  assert.deepEqual(fig.data[0].x, [1, 2], "the session run's metrics at the end of each epoch");
  assert.deepEqual(fig.data[1].x, [1, 2, 3], "and the YOLOv5 rows at epoch + 1: the same places");
  assert.equal(fig.layout.title.text, "mAP_0.5: exp vs exp (YOLOv5) vs exp2");
  assert.equal(fig.layout.yaxis.title.text, "mAP_0.5 (per epoch)");
  const loss = runs.figure([a], { metric: "box_loss", sessionRuns: [s] }) as unknown as {
    data: { name: string; x: number[]; mode: string }[];
    layout: any;
  };
  assert.deepEqual(
    loss.data.map((t) => [t.name, t.mode, t.x.at(-1)]),
    [
      ["exp", "lines", 2],
      ["exp (YOLOv5)", "lines+markers", 3],
    ],
  );
  assert.equal(loss.layout.yaxis.title.text, "box_loss");
  // Only some runs have the curve: the others are named, not drawn.
  const some = collectCurves([a], [s], "mAP_0.5:0.95");
  assert.deepEqual([some.curves.map((c) => c.name), some.without], [["exp (YOLOv5)"], ["exp"]]);
  assert.throws(
    () => runs.figure([a], { metric: "top5", sessionRuns: [s] }),
    /^RangeError: no run has a curve named "top5"\. Curves: loss, box, mAP@0\.5 \(session runs\); loss, box_loss, obj_loss, .*, lr2 \(YOLOv5 runs\)$/,
  );
  assert.equal((runs.figure(a) as unknown as { data: unknown[] }).data.length, 1, "one run, default metric loss");
});
