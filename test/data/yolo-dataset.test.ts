import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DataLoader, YoloDataset, type YoloItem, collateDetection, generateDetectionDataset } from "../../src/toolkit/data";

let dir = "";
let dataYaml = "";
before(async () => {
  await tf.setBackend("cpu");
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-yolo-"));
  // 120x200 images: loading at 160 resizes by 0.8 to 96x160, then letterboxes with 32 rows of grey above and below.
  dataYaml = (await generateDetectionDataset(dir, { seed: 5, train: 10, val: 3, nc: 3, imgSize: [120, 200], format: "png" })).dataYaml;
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test("items are letterboxed float images with labels moved onto the letterboxed image", async () => {
  const warnings: string[] = [];
  const ds = await YoloDataset.open(dataYaml, { imgSize: 160, warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
  assert.equal(ds.length, 10);
  assert.deepEqual(ds.names, ["red_circle", "green_rectangle", "blue_triangle"]);
  assert.deepEqual(ds.stats, { found: 10, missing: 0, empty: 0, corrupt: 0 });
  const item = await ds.get(0);
  assert.deepEqual(item.image.shape, [160, 160, 3]);
  assert.equal(item.image.data.length, 160 * 160 * 3);
  assert.ok(item.image.data.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.abs(item.image.data[0] - 114 / 255) < 1e-6, "top-left pixel is padding");
  assert.deepEqual(item.shapes, { original: [120, 200], ratio: [0.8, 0.8], pad: [0, 32] });
  const raw = ds.rawLabels(0);
  assert.deepEqual(item.labels.shape, [raw.length, 5]);
  raw.forEach(([cls, cx, cy, w, h], k) => {
    const got = Array.from(item.labels.data.subarray(k * 5, k * 5 + 5));
    const want = [cls, cx, (cy * 96 + 32) / 160, w, (h * 96) / 160];
    got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-4, `label ${k} value ${j}: ${v} vs ${want[j]}`));
  });
});

test("the image size is rounded up to a multiple of the stride with YOLOv5's warning", async () => {
  const warnings: string[] = [];
  const ds = await YoloDataset.open(dataYaml, { split: "val", imgSize: 150, warn: (m) => warnings.push(m) });
  assert.equal(ds.imgSize, 160);
  assert.deepEqual(warnings, ["WARNING ⚠️ --img-size 150 must be multiple of max stride 32, updating to 160"]);
  assert.equal(ds.length, 3);
});

test("collate stacks images and builds [nt, 6] targets with the image's index first; DataLoader batches them", async () => {
  const ds = await YoloDataset.open(dataYaml, { imgSize: 160, cache: true });
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
  assert.equal(loader.length, 3);
  let images = 0;
  let labels = 0;
  for await (const batch of loader) {
    const b = batch.images.shape[0];
    assert.deepEqual(batch.images.shape, [b, 160, 160, 3]);
    assert.equal(batch.targets.shape[1], 6);
    const t = (await batch.targets.array()) as number[][];
    const perImage = batch.paths.map((p) => ds.rawLabels(ds.files.indexOf(p)).length);
    assert.deepEqual(
      perImage,
      batch.paths.map((_, i) => t.filter((row) => row[0] === i).length),
    );
    assert.deepEqual(
      t.map((r) => r[0]),
      [...t.map((r) => r[0])].sort((x, y) => x - y),
      "image indices ascend",
    );
    images += b;
    labels += t.length;
    batch.images.dispose();
    batch.targets.dispose();
  }
  assert.equal(images, 10);
  assert.equal(
    labels,
    ds.files.reduce((s, _, i) => s + ds.rawLabels(i).length, 0),
  );
});

test("collating images of different sizes fails as torch.stack does", () => {
  const item = (h: number, w: number): YoloItem => ({
    image: { data: new Float32Array(h * w * 3), shape: [h, w, 3] },
    labels: { data: new Float32Array(0), shape: [0, 5] },
    path: "x",
    shapes: { original: [h, w], ratio: [1, 1], pad: [0, 0] },
  });
  const before = tf.memory().numTensors;
  assert.throws(() => collateDetection([item(416, 640), item(640, 640)]), {
    name: "RuntimeError",
    message: "stack expects each tensor to be equal size, but got [416, 640, 3] at entry 0 and [640, 640, 3] at entry 1",
  });
  assert.equal(tf.memory().numTensors, before, "no tensor leaked by the failed collate");
});

test("rect batches (the val loader's rect=True, pad=0.5) letterbox to the batch's stride-multiple shape", async () => {
  const padded = await YoloDataset.open(dataYaml, { split: "val", imgSize: 160, rect: true, batchSize: 2, pad: 0.5 });
  // Aspect 120/200 = 0.6: ceil(0.6 * 160 / 32 + 0.5) * 32 = 128 rows, ceil(160 / 32 + 0.5) * 32 = 192 columns.
  const item = await padded.get(2);
  assert.deepEqual(item.image.shape, [128, 192, 3]);
  assert.deepEqual(item.shapes.pad, [16, 16]);
  const tight = await YoloDataset.open(dataYaml, { split: "val", imgSize: 160, rect: true, batchSize: 2 });
  const t = await tight.get(0);
  assert.deepEqual(t.image.shape, [96, 160, 3]);
  assert.deepEqual(t.shapes.pad, [0, 0]);
  const raw = tight.rawLabels(0);
  raw.forEach((r, k) => r.forEach((v, j) => assert.ok(Math.abs(t.labels.data[k * 5 + j] - v) < 1e-4)));
});
