// Datasets as they come from YOLOv5 users and export tools: the real v7.0 fixture, the
// Roboflow/CVAT layout, `path:` variants, .txt lists, EXIF-rotated phone photos, polygon
// labels and truncated JPEGs. Every file here is a real image written with sharp.
import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { YoloDataset, type YoloDatasetOptions, readDataYaml, readImageFile, LABEL_CACHE_SUFFIX } from "../../src/toolkit/data";

const FIXTURE = path.resolve(__dirname, "../../../test/fixtures/yolov5-v7.0-run");

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-real-"));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A w x h image, left half red and right half blue, so orientation can be seen in its pixels. */
async function writeImage(
  file: string,
  w: number,
  h: number,
  opts: { orientation?: number; format?: "jpg" | "png"; noise?: boolean } = {},
): Promise<void> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  // Noise gives the JPEG's scan data some length, for truncation tests.
  if (opts.noise) for (let i = 0; i < raw.length; i++) raw[i] ^= (i * 7919) % 97;
  let s = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  s = opts.format === "png" ? s.png() : s.jpeg({ quality: 95 });
  if (opts.orientation) s = s.withMetadata({ orientation: opts.orientation });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, await s.toBuffer());
}

async function writeText(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

/** A split of `n` labelled images: <dir>/images/<stem>.jpg and <dir>/labels/<stem>.txt. */
async function writeSplit(dir: string, n: number, size = 32): Promise<void> {
  for (let i = 0; i < n; i++) {
    const stem = `im${i}`;
    await writeImage(path.join(dir, "images", `${stem}.jpg`), size, size);
    await writeText(path.join(dir, "labels", `${stem}.txt`), `${i % 2} 0.5 0.5 0.25 0.25\n`);
  }
}

type Opened = { ds: YoloDataset; warnings: string[]; lines: [string, boolean][] };
async function open(dataYaml: string, opts: YoloDatasetOptions = {}): Promise<Opened> {
  const warnings: string[] = [];
  const lines: [string, boolean][] = [];
  const ds = await YoloDataset.open(dataYaml, {
    imgSize: 64,
    warn: (m) => warnings.push(m),
    progress: (line, done) => lines.push([line, done]),
    ...opts,
  });
  return { ds, warnings, lines };
}

test("the YOLOv5 v7.0 fixture: 32 images with labels, the scan line, then a cache hit (in a copy, so the repo stays clean)", async () => {
  await withTemp(async (dir) => {
    await fs.cp(`${FIXTURE}/data.yaml`, path.join(dir, "data.yaml"));
    // A label cache another run of the suite left in the (git-ignored) fixture is not copied.
    await fs.cp(`${FIXTURE}/shapes`, path.join(dir, "shapes"), { recursive: true, filter: (src) => !src.endsWith(LABEL_CACHE_SUFFIX) });
    const dataYaml = path.join(dir, "data.yaml");
    const first = await open(dataYaml, { split: "val", imgSize: 160 });
    assert.deepEqual(first.warnings, []);
    assert.equal(first.ds.length, 32);
    assert.deepEqual(first.ds.stats, { found: 32, missing: 0, empty: 0, corrupt: 0 });
    assert.deepEqual(first.ds.names, ["square", "circle", "triangle"]);
    const labels = path.join(dir, "shapes", "labels", "val");
    assert.deepEqual(first.lines.at(-1), [`val: Scanning ${labels}... 32 images, 0 backgrounds, 0 corrupt: 100% 32/32`, true]);
    assert.equal(first.lines.filter(([, done]) => done).length, 1, "one final line");
    assert.deepEqual(first.ds.labelCache, { file: `${labels}.tfjs-lab.cache`, hit: false, miss: "absent", written: true });
    assert.deepEqual(first.ds.rawLabels(0), [
      [2, 0.66875, 0.646875, 0.325, 0.30625],
      [1, 0.68125, 0.853125, 0.3375, 0.25625],
    ]);
    const item = await first.ds.get(0);
    assert.deepEqual(item.shapes.original, [160, 160]);

    // train: points at the same images, so it shares val's cache file and hits it.
    const second = await open(dataYaml, { split: "train", imgSize: 160 });
    assert.deepEqual(second.lines, [[`train: Scanning ${labels}.tfjs-lab.cache... 32 images, 0 backgrounds, 0 corrupt: 100% 32/32`, true]]);
    assert.equal(second.ds.labelCache.hit, true);
    assert.deepEqual(second.ds.files, first.ds.files);
    assert.deepEqual(
      second.ds.files.map((_, i) => second.ds.rawLabels(i)),
      first.ds.files.map((_, i) => first.ds.rawLabels(i)),
    );
  });
});

test("the fixture opened in place with labelCache: false writes nothing into it", async () => {
  const labels = path.join(FIXTURE, "shapes", "labels");
  const listing = async () =>
    Promise.all((await fs.readdir(labels)).map(async (n) => `${n} ${(await fs.stat(path.join(labels, n))).mtimeMs}`));
  const before = await listing();
  const { ds, warnings } = await open(path.join(FIXTURE, "data.yaml"), { split: "val", imgSize: 160, labelCache: false });
  assert.deepEqual(warnings, []);
  assert.equal(ds.length, 32);
  assert.equal(ds.labelCache.miss, "off");
  assert.deepEqual(await listing(), before);
});

test("a Roboflow/CVAT export (train: ../train/images, no path:) opens wherever it is unpacked", async () => {
  await withTemp(async (dir) => {
    const exportDir = path.join(dir, "My-Dataset-3");
    await writeSplit(path.join(exportDir, "train"), 3);
    await writeSplit(path.join(exportDir, "valid"), 2);
    await writeText(
      path.join(exportDir, "data.yaml"),
      "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\nnc: 2\nnames: ['cat', 'dog']\n",
    );
    const data = await readDataYaml(path.join(exportDir, "data.yaml"));
    assert.equal(data.root, exportDir);
    assert.deepEqual(data.train, [path.join(exportDir, "train", "images")]);
    assert.deepEqual(data.val, [path.join(exportDir, "valid", "images")]);
    assert.deepEqual(
      data.test,
      [path.resolve(exportDir, "../test/images")],
      "an entry found nowhere stays as written, for the error to name",
    );
    const { ds } = await open(path.join(exportDir, "data.yaml"), { split: "val" });
    assert.equal(ds.length, 2);
    assert.deepEqual(ds.labelCache.file, path.join(exportDir, "valid", "labels.tfjs-lab.cache"));

    const moved = path.join(dir, "elsewhere", "deeper");
    await fs.mkdir(path.dirname(moved), { recursive: true });
    await fs.rename(exportDir, moved);
    const again = await open(path.join(moved, "data.yaml"));
    assert.equal(again.ds.length, 3);
    assert.ok(again.ds.files.every((f) => f.startsWith(path.join(moved, "train", "images"))));
    assert.equal(again.ds.labelCache.hit, false, "moved files hash differently: scanned again");
  });
});

test("path: absolute, relative to the yaml, and YOLOv5's own ../datasets/x from a checkout's data/ folder", async () => {
  await withTemp(async (dir) => {
    const root = path.join(dir, "datasets", "shapes");
    await writeSplit(path.join(root, "train"), 2);
    await writeText(path.join(dir, "abs.yaml"), `path: ${root}\ntrain: train/images\nval: train/images\nnames: [a, b]\n`);
    assert.equal((await readDataYaml(path.join(dir, "abs.yaml"))).root, root);
    await writeText(
      path.join(dir, "configs", "rel.yaml"),
      "path: ../datasets/shapes\ntrain: train/images\nval: train/images\nnames: [a, b]\n",
    );
    assert.equal((await readDataYaml(path.join(dir, "configs", "rel.yaml"))).root, root);
    // yolov5/data/shapes.yaml with `path: ../datasets/shapes` means <yolov5>/../datasets/shapes to YOLOv5.
    await writeText(path.join(dir, "yolov5", "train.py"), "# YOLOv5\n");
    await writeText(
      path.join(dir, "yolov5", "data", "shapes.yaml"),
      "path: ../datasets/shapes\ntrain: train/images\nval: train/images\nnames: [a, b]\n",
    );
    const data = await readDataYaml(path.join(dir, "yolov5", "data", "shapes.yaml"));
    assert.equal(data.root, root);
    const { ds } = await open(path.join(dir, "yolov5", "data", "shapes.yaml"));
    assert.equal(ds.length, 2);
  });
});

test("splits as a list of folders and as .txt lists (./ from the list's folder, others from path, absolute as is)", async () => {
  await withTemp(async (dir) => {
    await writeSplit(path.join(dir, "a"), 2);
    await writeSplit(path.join(dir, "b"), 3);
    await writeText(path.join(dir, "list.yaml"), "path: .\ntrain: [a/images, b/images]\nval: lists/val.txt\nnames: {0: x, 1: y}\n");
    const { ds } = await open(path.join(dir, "list.yaml"));
    assert.equal(ds.length, 5);
    await writeText(
      path.join(dir, "lists", "val.txt"),
      ["./../a/images/im0.jpg", "b/images/im1.jpg", path.join(dir, "b", "images", "im2.jpg"), "notes.md", ""].join("\n"),
    );
    const val = await open(path.join(dir, "list.yaml"), { split: "val" });
    assert.deepEqual(val.warnings, []);
    assert.deepEqual(val.ds.files, [
      path.join(dir, "a/images/im0.jpg"),
      path.join(dir, "b/images/im1.jpg"),
      path.join(dir, "b/images/im2.jpg"),
    ]);
    assert.equal(val.ds.labelCache.file, path.join(dir, "lists", "val.tfjs-lab.cache"), "beside the list, as YOLOv5's train.cache");
  });
});

test("hidden files in image folders are skipped, as YOLOv5's glob skips them", async () => {
  await withTemp(async (dir) => {
    await writeSplit(path.join(dir, "train"), 2);
    await writeText(path.join(dir, "train", "images", "._im0.jpg"), "macOS resource fork");
    await writeImage(path.join(dir, "train", "images", ".thumbs", "t.jpg"), 32, 32);
    await writeText(path.join(dir, "data.yaml"), "train: train/images\nval: train/images\nnames: [a, b]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      ds.files.map((f) => path.basename(f)),
      ["im0.jpg", "im1.jpg"],
    );
  });
});

test("EXIF orientation is applied as cv2.imread does: sizes, rect shapes and pixels are those of the upright image", async () => {
  await withTemp(async (dir) => {
    // Stored 48 wide x 24 high, red on the left. Orientation 6 shows it turned 90° clockwise,
    // 8 turned 90° anticlockwise (both 24 x 48), 3 upside down (48 x 24), 5 and 7 mirrored and turned.
    for (const o of [1, 3, 5, 6, 7, 8]) {
      await writeImage(path.join(dir, "images", `o${o}.jpg`), 48, 24, { orientation: o });
      await writeText(path.join(dir, "labels", `o${o}.txt`), "0 0.5 0.25 0.5 0.5\n");
    }
    await writeText(path.join(dir, "data.yaml"), "train: images\nval: images\nnames: [thing]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"), { rect: true, batchSize: 1 });
    assert.deepEqual(warnings, []);
    const byName = new Map(ds.files.map((f, i) => [path.basename(f), i]));
    const item = async (o: number) => ds.get(byName.get(`o${o}.jpg`)!);
    assert.deepEqual((await item(1)).shapes.original, [24, 48]);
    assert.deepEqual((await item(3)).shapes.original, [24, 48]);
    assert.deepEqual((await item(6)).shapes.original, [48, 24]);
    assert.deepEqual((await item(8)).shapes.original, [48, 24]);
    // 5 and 7 are turns with a mirror: cv2.imread turns them too (YOLOv5's exif_size forgets them).
    assert.deepEqual((await item(5)).shapes.original, [48, 24]);
    assert.deepEqual((await item(7)).shapes.original, [48, 24]);
    // rect: a 24 x 48 (w x h) upright image is tall, so its batch shape is [64, 32].
    assert.deepEqual((await item(6)).image.shape, [64, 32, 3]);
    assert.deepEqual((await item(1)).image.shape, [32, 64, 3]);

    const red = (img: { data: Uint8Array; width: number }, x: number, y: number) => img.data[(y * img.width + x) * 3] > 200;
    const o6 = await readImageFile(path.join(dir, "images", "o6.jpg"));
    assert.deepEqual([o6.width, o6.height, red(o6, 12, 5), red(o6, 12, 42)], [24, 48, true, false], "6: red on top");
    const o8 = await readImageFile(path.join(dir, "images", "o8.jpg"));
    assert.deepEqual([o8.width, o8.height, red(o8, 12, 5), red(o8, 12, 42)], [24, 48, false, true], "8: red at the bottom");
    const o3 = await readImageFile(path.join(dir, "images", "o3.jpg"));
    assert.deepEqual([o3.width, o3.height, red(o3, 5, 12), red(o3, 42, 12)], [48, 24, false, true], "3: red on the right");
    // The cache keeps upright sizes: a hit gives the same rect shapes without decoding.
    const again = await open(path.join(dir, "data.yaml"), { rect: true, batchSize: 1 });
    assert.equal(again.ds.labelCache.hit, true);
    assert.deepEqual((await again.ds.get(again.ds.files.indexOf(path.join(dir, "images", "o8.jpg")))).image.shape, [64, 32, 3]);
  });
});

test("the 10-pixel minimum applies to the upright size", async () => {
  await withTemp(async (dir) => {
    await writeImage(path.join(dir, "images", "ok.jpg"), 32, 32);
    await writeImage(path.join(dir, "images", "thin.jpg"), 40, 8, { orientation: 6 });
    await writeText(path.join(dir, "data.yaml"), "train: images\nval: images\nnames: [a]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"));
    assert.deepEqual(warnings, [
      "train: WARNING ⚠️ images/thin.jpg: ignoring corrupt image/label: image size (8, 40) <10 pixels",
      "train: WARNING ⚠️ No labels found in images.",
    ]);
    assert.equal(ds.length, 1);
  });
});

test("polygon label rows become the boxes around their points; a polygon file reads every row as a polygon", async () => {
  await withTemp(async (dir) => {
    for (const stem of ["poly", "mixed", "odd", "dup", "point"])
      await writeImage(path.join(dir, "images", `${stem}.png`), 40, 40, { format: "png" });
    // A quadrilateral and a triangle.
    await writeText(path.join(dir, "labels", "poly.txt"), "0 0.1 0.2 0.5 0.2 0.5 0.6 0.1 0.6\n1 0.6 0.6 0.9 0.7 0.7 0.95\n");
    // A box row in a file with a polygon row: YOLOv5 reads `0.5 0.5 0.2 0.2` as the points (0.5, 0.5) and (0.2, 0.2).
    await writeText(path.join(dir, "labels", "mixed.txt"), "1 0.1 0.1 0.3 0.1 0.3 0.3\n0 0.5 0.5 0.2 0.2\n");
    await writeText(path.join(dir, "labels", "odd.txt"), "0 0.1 0.1 0.3 0.1 0.3 0.3\n0 0.1 0.1 0.3 0.1 0.3 0.3 0.5\n");
    await writeText(path.join(dir, "labels", "dup.txt"), "0 0.1 0.1 0.3 0.1 0.3 0.3\n0 0.1 0.1 0.3 0.1 0.3 0.3\n");
    await writeText(path.join(dir, "labels", "point.txt"), "0 0.1 0.1 0.3 0.1 0.3 0.3\n0 0.4 0.4\n");
    await writeText(path.join(dir, "data.yaml"), "train: images\nval: images\nnames: [a, b]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"));
    assert.deepEqual(warnings, [
      "train: WARNING ⚠️ images/dup.png: 1 duplicate labels removed",
      "train: WARNING ⚠️ images/mixed.png: labels/mixed.txt:2: box row read as the polygon (x y) (w h), as YOLOv5 does in a file with polygon rows",
      "train: WARNING ⚠️ images/odd.png: ignoring corrupt image/label: labels/odd.txt:2: polygon row has 7 coordinates; x y pairs need an even number",
      "train: WARNING ⚠️ images/point.png: labels/point.txt:2: box with zero width or height dropped",
    ]);
    const rows = (stem: string) =>
      ds.rawLabels(ds.files.indexOf(path.join(dir, "images", `${stem}.png`))).map((r) => r.map((v) => +v.toFixed(6)));
    assert.deepEqual(rows("poly"), [
      [0, 0.3, 0.4, 0.4, 0.4],
      [1, 0.75, 0.775, 0.3, 0.35],
    ]);
    assert.deepEqual(rows("mixed"), [
      [1, 0.2, 0.2, 0.2, 0.2],
      [0, 0.35, 0.35, 0.3, 0.3],
    ]);
    assert.deepEqual(rows("dup"), [[0, 0.2, 0.2, 0.2, 0.2]]);
    assert.deepEqual(rows("point"), [[0, 0.2, 0.2, 0.2, 0.2]]);
    assert.deepEqual(ds.stats, { found: 4, missing: 0, empty: 0, corrupt: 1 });
  });
});

test("a truncated JPEG is decoded as far as it goes, with a warning, and the file is not rewritten", async () => {
  await withTemp(async (dir) => {
    await writeImage(path.join(dir, "images", "whole.jpg"), 64, 48);
    await writeImage(path.join(dir, "images", "cut.jpg"), 64, 48, { orientation: 6, noise: true });
    const file = path.join(dir, "images", "cut.jpg");
    // Cut halfway through the scan data (after the SOS marker), as an interrupted download leaves it.
    const bytes = await fs.readFile(file);
    const sos = bytes.indexOf(Buffer.from([0xff, 0xda]));
    assert.ok(sos > 0);
    const cut = bytes.subarray(0, sos + Math.floor((bytes.length - sos) / 2));
    await fs.writeFile(file, cut);
    await writeText(path.join(dir, "data.yaml"), "train: images\nval: images\nnames: [a]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"), { labelCache: false });
    assert.deepEqual(warnings, [
      "train: WARNING ⚠️ images/cut.jpg: corrupt JPEG restored (its end marker is missing; the file was left unchanged)",
      "train: WARNING ⚠️ No labels found in images.",
    ]);
    assert.equal(ds.length, 2);
    const item = await ds.get(ds.files.indexOf(file));
    assert.deepEqual(item.shapes.original, [64, 48], "decoded upright");
    assert.ok((await fs.readFile(file)).equals(cut), "the user's file is untouched");
  });
});

test("numbers are read as Python's float() reads them: hex is not a number", async () => {
  await withTemp(async (dir) => {
    await writeImage(path.join(dir, "images", "a.jpg"), 32, 32);
    await writeImage(path.join(dir, "images", "b.jpg"), 32, 32);
    await writeText(path.join(dir, "labels", "a.txt"), "0 0.5 0.5 0.2 0.2\n0 0x1 0.5 0.2 0.2\n");
    await writeText(path.join(dir, "labels", "b.txt"), "0 .5 5e-1 2E-1 0.2\n");
    await writeText(path.join(dir, "data.yaml"), "train: images\nval: images\nnames: [a]\n");
    const { ds, warnings } = await open(path.join(dir, "data.yaml"));
    assert.deepEqual(warnings, [
      "train: WARNING ⚠️ images/a.jpg: ignoring corrupt image/label: labels/a.txt:2: could not convert string to float: '0x1'",
    ]);
    assert.deepEqual(ds.rawLabels(0), [[0, 0.5, 0.5, 0.2, 0.2]]);
  });
});
