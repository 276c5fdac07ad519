import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  apPerClass,
  boxIou,
  computeAp,
  DetectionEvaluator,
  IOU_THRESHOLDS,
  matchDetections,
  multiLabelScores,
  nmsImage,
  nonMaxSuppression,
  topkAccuracy,
  xywh2xyxy,
} from "../../src/toolkit/train";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("box IoU and xywh -> xyxy", () => {
  assert.deepEqual(xywh2xyxy([10, 20, 4, 6]), [8, 17, 12, 23]);
  close(boxIou([0, 0, 10, 10], [5, 5, 15, 15]), 25 / 175);
  assert.equal(boxIou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  close(boxIou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
});

test("NMS: conf = obj * cls, per-class suppression, thresholds, max_det", async () => {
  // rows: x, y, w, h, obj, cls0, cls1
  const rows = [
    [50, 50, 20, 20, 0.9, 0.9, 0.1], // A: class 0, conf 0.81
    [52, 50, 20, 20, 0.8, 0.9, 0.1], // B: overlaps A (IoU 0.82), class 0, conf 0.72 -> suppressed
    [51, 50, 20, 20, 0.9, 0.2, 0.8], // C: overlaps A but class 1, conf 0.72 -> kept
    [150, 150, 10, 10, 0.6, 0.7, 0.3], // D: elsewhere, conf 0.42 -> kept
    [200, 200, 10, 10, 0.2, 1.0, 0.0], // E: obj below 0.25 -> dropped
    [100, 100, 10, 10, 0.5, 0.4, 0.4], // F: conf 0.2 < 0.25 -> dropped
  ];
  const pred = tf.tensor3d([rows]);
  const [dets] = await nonMaxSuppression(pred);
  pred.dispose();
  assert.deepEqual(
    dets.map((d) => [d.cls, +d.conf.toFixed(4)]),
    [
      [0, 0.81],
      [1, 0.72],
      [0, 0.42],
    ],
  );
  assert.deepEqual(dets[0].box, [40, 40, 60, 60]);
  const flat = rows.flat();
  assert.equal(nmsImage(flat, 6, 7, { maxDet: 2 }).length, 2);
  assert.equal(nmsImage(flat, 6, 7, { agnostic: true }).length, 2); // C now suppressed by A
  // val.py settings: multi-label keeps every class above conf per box
  const multi = nmsImage(flat, 6, 7, { confThres: 0.001, iouThres: 0.6, multiLabel: true });
  assert.ok(multi.some((d) => d.cls === 1 && Math.abs(d.conf - 0.18) < 1e-6)); // D's class-1 score 0.6*0.3
  assert.ok(!multi.some((d) => d.cls === 1 && Math.abs(d.conf - 0.09) < 1e-6)); // A's, suppressed by C
  assert.throws(() => nmsImage(flat, 6, 7, { confThres: 2 }), /Invalid Confidence threshold 2/);
});

test("compute_ap matches YOLOv5 (numpy reference values)", () => {
  close(computeAp([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]), 0.8283333333333331, 1e-12);
  close(computeAp([1 / 3, 1 / 3, 2 / 3], [1.0, 0.5, 2 / 3]), 0.6672, 1e-12);
  close(computeAp([1.0], [1.0]), 0.995, 1e-12); // YOLOv5's perfect score
  close(computeAp([0.5, 0.5], [1.0, 0.5]), 0.6224999999999999, 1e-12);
});

test("IoU thresholds are numpy's linspace(0.5, 0.95, 10)", () => {
  assert.deepEqual(IOU_THRESHOLDS, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
});

test("process_batch matching as YOLOv5: each label and detection used once, classes must agree", () => {
  const labels = [{ box: [0, 0, 10, 10] as [number, number, number, number], cls: 0 }];
  const dets = [
    { box: [0, 0, 10, 8] as [number, number, number, number], conf: 0.9, cls: 0 }, // IoU 0.8
    { box: [0, 0, 10, 10] as [number, number, number, number], conf: 0.5, cls: 0 }, // IoU 1.0
    { box: [0, 0, 10, 10] as [number, number, number, number], conf: 0.7, cls: 1 }, // wrong class
  ];
  const c = matchDetections(dets, labels);
  // YOLOv5's double np.unique gives the label to the first detection (the most confident after NMS)
  // wherever both qualify (0.5..0.8), and to the IoU 1.0 one only above 0.8
  assert.deepEqual(
    c.map((row) => row.filter(Boolean).length),
    [7, 3, 0],
  );
  // alone, the IoU 0.8 detection is right at thresholds 0.5 .. 0.8 (7 of them)
  assert.deepEqual(matchDetections([dets[0]], labels)[0].filter(Boolean).length, 7);
});

test("mAP@0.5 and mAP@0.5:0.95 on a hand-made case, and the split by object size", () => {
  const ev = new DetectionEvaluator();
  // image 1: two labels of class 0; a perfect detection and a false positive
  ev.add(
    [
      { box: [0, 0, 100, 100], conf: 0.9, cls: 0 },
      { box: [300, 300, 340, 340], conf: 0.8, cls: 0 },
    ],
    [
      { box: [0, 0, 100, 100], cls: 0 },
      { box: [200, 200, 210, 210], cls: 0 },
    ],
  );
  const m = ev.compute();
  // class 0: tp = [1, 0], recall [0.5, 0.5], precision [1, 0.5] at every threshold -> AP 0.6225
  close(m.map50, 0.6224999999999999, 1e-12);
  close(m.map, 0.6224999999999999, 1e-12);
  assert.equal(m.labels, 2);
  assert.equal(m.detections, 2);
  const s = ev.bySize();
  assert.equal(s.small.map50, 0); // the 10x10 object was never found
  close(s.large.map50, 0.995, 1e-12); // the 100x100 one was, and the 40x40 false positive is medium-sized, ignored
  assert.equal(s.medium.labels, 0);

  // AP per class averages over classes with labels; a class without detections counts 0
  const r = apPerClass([[true], [true]], [0.9, 0.8], [0, 0], [0, 1]);
  assert.deepEqual(r.classes, [0, 1]);
  close(r.ap[0][0], 0.995, 1e-12);
  assert.equal(r.ap[1][0], 0);
});

test("top-1 / top-5 accuracy", async () => {
  const logits = tf.tensor2d([
    [0.9, 0.1, 0, 0, 0, 0, 0], // label 0: top-1
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], // label 0: lowest -> neither
    [0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.6], // label 4: 5th highest -> top-5 only
    [0, 0, 1, 0, 0, 0, 0], // label 2: top-1
  ]);
  const acc = await topkAccuracy(logits, [0, 0, 4, 2]);
  assert.deepEqual(acc, { top1: 0.5, top5: 0.75 });
  logits.dispose();
});

test("multi-label accuracy, exact match and Hamming distance (PaddleClas, threshold 0.5)", async () => {
  const logits = tf.tensor2d([
    [2, -2, 2],
    [-1, 1, -1],
  ]);
  const target = tf.tensor2d([
    [1, 0, 1],
    [0, 0, 0],
  ]);
  const s = await multiLabelScores(logits, target);
  close(s.exactMatch, 0.5);
  close(s.accuracy, 5 / 6);
  close(s.hammingDistance, 1 / 6);
  logits.dispose();
  target.dispose();
});
