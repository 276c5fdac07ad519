// The toolkit end to end, as the "done when" asks: a YOLOv5n trained a few epochs
// on the synthetic detection set reaches a clearly non-zero mAP@0.5, and a classifier beats
// chance by a wide margin, both on the default backend and within CI's time.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as lab from "../../src";

before(async () => {
  await lab.initBackend();
  lab.manualSeed(0);
});

test("YOLOv5n trained on the synthetic detection set reaches a clearly non-zero mAP@0.5", { timeout: 600_000 }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-e2e-det-"));
  const imgSize = 64;
  const epochs = 20;
  // Medium and large objects: a few epochs from scratch cannot learn 3-pixel objects.
  const info = await lab.generateDetectionDataset(root, {
    seed: 1,
    imgSize,
    train: 96,
    val: 32,
    nc: 1,
    objectsPerImage: [1, 2],
    sizeBands: [{ min: 0.25, max: 0.5, weight: 1 }],
  });
  const train = await lab.YoloDataset.open(info.dataYaml, { split: "train", imgSize, cache: true });
  const val = await lab.YoloDataset.open(info.dataYaml, { split: "val", imgSize, cache: true });
  const model = lab.yolov5({ scale: "n", nc: info.nc });
  // hyp.scratch-low's gains; train.py would scale obj by (imgsz/640)^2, which at 96 px makes
  // objectness learn too slowly for a test of a few epochs.
  const hyp = { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 };
  const criterion = new lab.ComputeLoss({ nc: info.nc, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES, hyp });
  const loader = new lab.DataLoader(train, { batchSize: 16, shuffle: true, seed: 0, collate: (items) => train.collate(items) });
  const trainer = new lab.Trainer({
    model,
    data: loader,
    epochs,
    optimizer: "Adam",
    lr0: 0.002,
    nbs: null,
    warmupEpochs: 0,
    loss: (out, batch: { images: tf.Tensor; targets: tf.Tensor }) => {
      const r = criterion.call(out as tf.Tensor[], batch.targets);
      r.items.dispose();
      return r.loss;
    },
  });
  const result = await trainer.fit();
  const losses = result.epochs.map((e) => e.trainLoss);
  model.eval();
  const evaluator = new lab.DetectionEvaluator();
  const valLoader = new lab.DataLoader(val, { batchSize: 16, collate: (items) => val.collate(items) });
  for await (const batch of valLoader) {
    const [decoded] = model.forward(batch.images) as [tf.Tensor, tf.Tensor[]];
    const dets = await lab.nonMaxSuppression(decoded, { confThres: 0.001, iouThres: 0.6 });
    const targets = (await batch.targets.array()) as number[][];
    dets.forEach((d, i) =>
      evaluator.add(
        d,
        targets
          .filter((r) => r[0] === i)
          .map((r) => ({
            cls: r[1],
            box: [(r[2] - r[4] / 2) * imgSize, (r[3] - r[5] / 2) * imgSize, (r[2] + r[4] / 2) * imgSize, (r[3] + r[5] / 2) * imgSize] as [
              number,
              number,
              number,
              number,
            ],
          })),
      ),
    );
    tf.dispose([decoded, batch.images, batch.targets]);
  }
  const m = evaluator.compute();
  t.diagnostic(
    `train loss by epoch: ${losses.map((l) => l.toFixed(3)).join(" ")}; val mAP@0.5 ${m.map50.toFixed(3)}, mAP@0.5:0.95 ${m.map.toFixed(3)}, P ${m.precision.toFixed(3)}, R ${m.recall.toFixed(3)}`,
  );
  assert.ok(losses[losses.length - 1] < losses[0] * 0.7, `loss fell: ${losses.join(", ")}`);
  assert.ok(m.map50 > 0.1, `mAP@0.5 ${m.map50} is clearly above zero`);
  model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

test("a classifier trained on the synthetic ImageFolder set beats chance by a wide margin", { timeout: 300_000 }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-e2e-cls-"));
  const nc = 5;
  await lab.generateClassificationDataset(root, { seed: 2, imgSize: 32, nc, trainPerClass: 32, valPerClass: 12 });
  const train = await lab.ImageFolderDataset.open(path.join(root, "train"), { imgSize: 32 });
  const val = await lab.ImageFolderDataset.open(path.join(root, "val"), { imgSize: 32 });
  const model = lab.smallCnn({ nc });
  type Batch = { images: tf.Tensor; labels: tf.Tensor };
  const trainer = new lab.Trainer<Batch>({
    model,
    data: new lab.DataLoader(train, { batchSize: 32, shuffle: true, seed: 0 }),
    epochs: 6,
    optimizer: "Adam",
    lr0: 0.003,
    nbs: null,
    warmupEpochs: 0,
    loss: (out, b) => lab.crossEntropy(out as tf.Tensor, b.labels) as tf.Scalar,
  });
  await trainer.fit();
  model.eval();
  let correct = 0,
    total = 0;
  for await (const b of new lab.DataLoader(val, { batchSize: 30 })) {
    const logits = model.forward(b.images) as tf.Tensor;
    const pred = (await logits.argMax(1).array()) as number[];
    const labels = (await b.labels.array()) as number[];
    correct += pred.filter((p, i) => p === labels[i]).length;
    total += labels.length;
    tf.dispose([logits, b.images, b.labels]);
  }
  const top1 = correct / total;
  t.diagnostic(`top-1 ${(top1 * 100).toFixed(1)}% on ${total} held-out images; chance ${(100 / nc).toFixed(1)}%`);
  assert.ok(top1 > 2.5 / nc, `top-1 ${top1} beats chance ${1 / nc} by a wide margin`);
  model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});
