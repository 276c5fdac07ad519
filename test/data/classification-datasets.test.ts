import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  DataLoader,
  ImageFolderDataset,
  MultiLabelListDataset,
  generateClassificationDataset,
  generateMultiLabelDataset,
} from "../../src/toolkit/data";

let dir = "";
before(async () => {
  await tf.setBackend("cpu");
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-cls-"));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test("ImageFolder: sorted class names, integer labels, [B,H,W,3] images and [B] int32 labels", async () => {
  const root = path.join(dir, "folder");
  const info = await generateClassificationDataset(root, { seed: 4, nc: 3, trainPerClass: 5, valPerClass: 1, imgSize: 40 });
  const ds = await ImageFolderDataset.open(path.join(root, "train"), { imgSize: 32 });
  assert.deepEqual(ds.classes, ["blue_triangle", "green_rectangle", "red_circle"]);
  assert.deepEqual(ds.classes, info.classes);
  assert.equal(ds.length, 15);
  assert.deepEqual(ds.targets, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  const item = await ds.get(7);
  assert.equal(item.label, 1);
  assert.equal(path.basename(path.dirname(item.path)), "green_rectangle");
  assert.deepEqual(item.image.shape, [32, 32, 3]);
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 0, dropLast: true });
  assert.equal(loader.length, 3);
  const seen: number[] = [];
  for await (const batch of loader) {
    assert.deepEqual(batch.images.shape, [4, 32, 32, 3]);
    assert.equal(batch.labels.dtype, "int32");
    const labels = Array.from(await batch.labels.data());
    batch.paths.forEach((p, i) => assert.equal(labels[i], ds.classes.indexOf(path.basename(path.dirname(p)))));
    seen.push(...labels);
    tf.dispose([batch.images, batch.labels]);
  }
  assert.equal(seen.length, 12);
  const normalised = await (await ImageFolderDataset.open(path.join(root, "train"), { imgSize: 32, normalize: true })).get(0);
  assert.ok(
    normalised.image.data.some((v) => v < 0),
    "ImageNet normalisation gives negative values",
  );
});

test("ImageFolder: torchvision's errors for no class folder and for a class without images", async () => {
  const empty = path.join(dir, "empty");
  await fs.mkdir(path.join(empty), { recursive: true });
  await assert.rejects(ImageFolderDataset.open(empty), {
    name: "FileNotFoundError",
    message: `Couldn't find any class folder in ${empty}.`,
  });
  await fs.mkdir(path.join(empty, "cats"));
  await fs.writeFile(path.join(empty, "cats", "notes.txt"), "not an image");
  await assert.rejects(ImageFolderDataset.open(empty), {
    name: "FileNotFoundError",
    message: "Found no valid file for the classes cats. Supported extensions are: .bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp",
  });
});

test("multi-label list: [B, C] multi-hot targets matching the list; with labelRatio [B, 2, C]", async () => {
  const root = path.join(dir, "ml");
  const info = await generateMultiLabelDataset(root, { seed: 6, train: 10, val: 2 });
  const ds = await MultiLabelListDataset.open(info.trainList, { imgSize: 48 });
  assert.equal(ds.length, 10);
  assert.equal(ds.numClasses, 33);
  const lines = (await fs.readFile(info.trainList, "utf8")).trimEnd().split("\n");
  const loader = new DataLoader(ds, { batchSize: 4 });
  const rows: number[][] = [];
  for await (const batch of loader) {
    assert.deepEqual(batch.images.shape, [batch.paths.length, 48, 48, 3]);
    assert.deepEqual(batch.targets.shape, [batch.paths.length, 33]);
    rows.push(...((await batch.targets.array()) as number[][]));
    tf.dispose([batch.images, batch.targets]);
  }
  assert.deepEqual(
    rows,
    lines.map((l) => l.split("\t")[1].split(",").map(Number)),
  );

  const withRatio = await MultiLabelListDataset.open(info.trainList, { imgSize: 48, labelRatio: true });
  const batch = withRatio.collate([await withRatio.get(0), await withRatio.get(1)]);
  assert.deepEqual(batch.targets.shape, [2, 2, 33]);
  const t = (await batch.targets.array()) as number[][][];
  assert.deepEqual(t[0][0], rows[0]);
  t[1][1].forEach((v, k) => assert.ok(Math.abs(v - info.positiveRatio[k]) < 1e-6));
  tf.dispose([batch.images, batch.targets]);
});

test("multi-label list: a bad line is an error naming list and line", async () => {
  const root = path.join(dir, "ml-bad");
  const info = await generateMultiLabelDataset(root, { seed: 6, train: 3, val: 1, nc: 4 });
  const good = (await fs.readFile(info.trainList, "utf8")).trimEnd().split("\n");
  const cases: [string, string, string][] = [
    [
      good[1].replace("\t", " "),
      "ValueError",
      "train_list.txt:2: expected 'image_path<TAB>labels', found no <TAB>. What to do: separate the path and the comma-separated labels with the delimiter.",
    ],
    [
      good[1].replace(/\t\d/, "\tx"),
      "ValueError",
      "train_list.txt:2: label 1 is 'x', not an integer. What to do: write labels as integers separated by commas, e.g. 0,1,0.",
    ],
    [
      `${good[1]},0`,
      "ValueError",
      "train_list.txt:2: expected 4 labels (as on line 1), got 5. What to do: give every line one value per class.",
    ],
    [
      good[1].replace("images/", "pictures/"),
      "FileNotFoundError",
      `train_list.txt:2: image not found: ${good[1].split("\t")[0].replace("images/", "pictures/")} (looked in ${root}). What to do: fix the path, set imageRoot, or remove the line.`,
    ],
  ];
  for (const [line, name, message] of cases) {
    await fs.writeFile(info.trainList, `${[good[0], line, good[2]].join("\n")}\n`);
    await assert.rejects(MultiLabelListDataset.open(info.trainList), { name, message });
  }
  await fs.writeFile(info.trainList, `${good.join("\n")}\n`);
  const ds = await MultiLabelListDataset.open(info.trainList);
  await fs.writeFile(path.join(root, good[2].split("\t")[0]), "corrupt");
  await assert.rejects(ds.get(2), {
    name: "UnidentifiedImageError",
    message: `cannot identify image file '${good[2].split("\t")[0]}' (listed at train_list.txt:3): Input buffer contains unsupported image format. What to do: replace or delete the file (and its list entry, if any).`,
  });
});
