import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { YoloDataset, generateDetectionDataset, encodeImage } from "../../src/toolkit/data";

async function withDataset(
  opts: { train: number; format?: "png" | "jpg" },
  fn: (root: string, dataYaml: string) => Promise<void>,
): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-bad-"));
  try {
    const { dataYaml } = await generateDetectionDataset(root, {
      seed: 9,
      train: opts.train,
      val: 1,
      nc: 3,
      imgSize: 64,
      format: opts.format ?? "png",
    });
    await fn(root, dataYaml);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

const label = (root: string, stem: string) => path.join(root, "labels", "train", `${stem}.txt`);
const image = (root: string, stem: string, ext = "png") => path.join(root, "images", "train", `${stem}.${ext}`);
const ignoring = (stem: string, reason: string, ext = "png") =>
  `train: WARNING ⚠️ images/train/${stem}.${ext}: ignoring corrupt image/label: ${reason}`;

test("bad label lines and corrupt images: skipped or kept with YOLOv5's warnings, each naming file and line", async () => {
  await withDataset({ train: 14 }, async (root, dataYaml) => {
    const ok = "0 0.5 0.5 0.2 0.2";
    await fs.writeFile(label(root, "img_001"), `${ok}\n1 0.3 0.3 0 0.1\n`);
    await fs.writeFile(label(root, "img_002"), `${ok}\n${ok}\n2 0.2 0.2 0.1 0.1\n`);
    await fs.writeFile(label(root, "img_003"), `${ok}\n1 0.5 0.5 0.2\n`);
    await fs.writeFile(label(root, "img_004"), `0 0.5 abc 0.1 0.1\n`);
    await fs.writeFile(label(root, "img_005"), `\n\n0 nan 0.5 0.1 0.1\n`);
    await fs.writeFile(label(root, "img_006"), `0 0.5 1.2 0.1 0.1\n`);
    await fs.writeFile(label(root, "img_007"), `0 0.5 0.5 -0.1 0.1\n`);
    await fs.writeFile(image(root, "img_008"), "this is not an image");
    await fs.rm(label(root, "img_009"));
    await fs.writeFile(label(root, "img_010"), "");
    await fs.writeFile(label(root, "img_011"), `0 0.1 0.1 0.2 0.1 0.2\n`);
    await fs.writeFile(label(root, "img_012"), `1.5 0.5 0.5 0.1 0.1\n`);
    const png = await fs.readFile(image(root, "img_013"));
    await fs.writeFile(image(root, "img_013"), png.subarray(0, png.length >> 1));

    const warnings: string[] = [];
    const ds = await YoloDataset.open(dataYaml, { imgSize: 64, warn: (m) => warnings.push(m) });
    const last = warnings[warnings.length - 1];
    assert.deepEqual(warnings.slice(0, -1), [
      "train: WARNING ⚠️ images/train/img_001.png: labels/train/img_001.txt:2: box with zero width or height dropped",
      "train: WARNING ⚠️ images/train/img_002.png: 1 duplicate labels removed",
      ignoring("img_003", "labels/train/img_003.txt:2: expected 5 values (class x y w h), got 4"),
      ignoring("img_004", "labels/train/img_004.txt:1: could not convert string to float: 'abc'"),
      ignoring("img_005", "labels/train/img_005.txt:3: value 'nan' is not a finite number"),
      ignoring(
        "img_006",
        "labels/train/img_006.txt:1: non-normalized or out of bounds coordinates [1.2] (x y w h must be fractions of the image size, 0 to 1)",
      ),
      ignoring("img_007", "labels/train/img_007.txt:1: negative label values [-0.1]"),
      ignoring("img_008", "Input buffer contains unsupported image format"),
      ignoring("img_011", "labels/train/img_011.txt:1: expected 5 values (class x y w h), got 6"),
      ignoring("img_012", "labels/train/img_012.txt:1: class id 1.5 is not an integer"),
    ]);
    // A truncated PNG's reason is libvips's text, which varies ("pngload_buffer: end of stream", or
    // "Unknown error" when decodes run concurrently), so only its frame is checked.
    assert.match(last, /^train: WARNING ⚠️ images\/train\/img_013\.png: ignoring corrupt image\/label: .+$/);
    assert.deepEqual(ds.stats, { found: 3, missing: 1, empty: 1, corrupt: 9 });
    assert.deepEqual(
      ds.files.map((f) => path.basename(f)),
      ["img_000.png", "img_001.png", "img_002.png", "img_009.png", "img_010.png"],
    );
    const kept = (stem: string) => ds.rawLabels(ds.files.indexOf(image(root, stem)));
    assert.deepEqual(kept("img_001"), [[0, 0.5, 0.5, 0.2, 0.2]]);
    assert.deepEqual(kept("img_002"), [
      [0, 0.5, 0.5, 0.2, 0.2],
      [2, 0.2, 0.2, 0.1, 0.1],
    ]);
    assert.deepEqual(kept("img_009"), []);
    assert.deepEqual(kept("img_010"), []);
    const background = await ds.get(ds.files.indexOf(image(root, "img_009")));
    assert.deepEqual(background.labels.shape, [0, 5]);
  });
});

test("a class id >= nc stops with YOLOv5's AssertionError, naming file and line", async () => {
  await withDataset({ train: 4 }, async (root, dataYaml) => {
    await fs.writeFile(label(root, "img_002"), `0 0.5 0.5 0.2 0.2\n7 0.3 0.3 0.1 0.1\n`);
    await assert.rejects(YoloDataset.open(dataYaml, { imgSize: 64, warn: () => undefined }), {
      name: "AssertionError",
      message:
        `Label class 7 exceeds nc=3 in ${dataYaml}. Possible class labels are 0-2\n` +
        "  at labels/train/img_002.txt:2. What to do: fix the class ids in the label files, or set nc and names in data.yaml to cover every class.",
    });
  });
});

test("a missing image listed in a .txt split and a JPEG without its end marker", async () => {
  await withDataset({ train: 3, format: "jpg" }, async (root, dataYaml) => {
    await fs.writeFile(
      path.join(root, "train.txt"),
      "./images/train/img_000.jpg\n./images/train/img_001.jpg\n./images/train/img_404.jpg\n./images/train/img_002.jpg\n",
    );
    const yaml = (await fs.readFile(dataYaml, "utf8")).replace("train: images/train", "train: train.txt");
    await fs.writeFile(dataYaml, yaml);
    const jpg = await fs.readFile(image(root, "img_001", "jpg"));
    await fs.writeFile(image(root, "img_001", "jpg"), jpg.subarray(0, jpg.length - 2));
    const warnings: string[] = [];
    const ds = await YoloDataset.open(dataYaml, { imgSize: 64, warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, [
      "train: WARNING ⚠️ images/train/img_001.jpg: corrupt JPEG restored (its end marker is missing; the file was left unchanged)",
      ignoring("img_404", "[Errno 2] No such file or directory", "jpg"),
    ]);
    assert.equal(ds.length, 3);
    const restored = await ds.get(1);
    assert.deepEqual(restored.image.shape, [64, 64, 3]);
  });
});

test("files that vanish or break after the scan fail get() with a named error", async () => {
  await withDataset({ train: 2 }, async (root, dataYaml) => {
    const ds = await YoloDataset.open(dataYaml, { imgSize: 64 });
    await fs.rm(image(root, "img_000"));
    await fs.writeFile(image(root, "img_001"), "garbage");
    await assert.rejects(ds.get(0), {
      name: "FileNotFoundError",
      message:
        "[Errno 2] No such file or directory: 'images/train/img_000.png'. What to do: restore the file, or remove it from the dataset.",
    });
    await assert.rejects(ds.get(1), {
      name: "UnidentifiedImageError",
      message:
        "cannot identify image file 'images/train/img_001.png': Input buffer contains unsupported image format. What to do: replace or delete the file (and its list entry, if any).",
    });
    await assert.rejects(ds.get(2), { name: "IndexError", message: "index 2 is out of range for a dataset of 2 images" });
  });
});

test("data.yaml problems: missing split folder, missing field, nc not matching names, every image corrupt", async () => {
  await withDataset({ train: 2 }, async (root, dataYaml) => {
    const original = await fs.readFile(dataYaml, "utf8");
    await fs.rm(path.join(root, "images", "val"), { recursive: true });
    await assert.rejects(YoloDataset.open(dataYaml, { split: "val", imgSize: 64 }), {
      name: "FileNotFoundError",
      message: `val: ${path.join(root, "images", "val")} does not exist. What to do: check the train/val entries and 'path' in data.yaml.`,
    });
    await fs.writeFile(dataYaml, original.replace(/^names:.*$/m, ""));
    await assert.rejects(YoloDataset.open(dataYaml, { imgSize: 64 }), {
      name: "AssertionError",
      message: `data.yaml 'names:' field missing ❌ (${dataYaml})`,
    });
    await fs.writeFile(dataYaml, original.replace("nc: 3", "nc: 4"));
    await assert.rejects(YoloDataset.open(dataYaml, { imgSize: 64 }), {
      name: "AssertionError",
      message: `3 names found for nc=4 dataset in ${dataYaml}. What to do: make nc equal to the number of names.`,
    });
    await fs.writeFile(dataYaml, original);
    for (const stem of ["img_000", "img_001"]) await fs.writeFile(image(root, stem), "x");
    const warnings: string[] = [];
    await assert.rejects(YoloDataset.open(dataYaml, { imgSize: 64, warn: (m) => warnings.push(m) }), {
      name: "AssertionError",
      message: `train: No usable images in ${path.join(root, "images", "train")}: all 2 were corrupt (see the warnings above)`,
    });
    assert.equal(warnings.length, 3);
    assert.equal(warnings[2], "train: WARNING ⚠️ No labels found in images/train.");
  });
});

test("images under 10 pixels are ignored, as YOLOv5 does", async () => {
  await withDataset({ train: 2 }, async (root, dataYaml) => {
    await fs.writeFile(image(root, "img_001"), await encodeImage({ data: new Uint8Array(8 * 20 * 3), width: 20, height: 8 }, "png"));
    const warnings: string[] = [];
    const ds = await YoloDataset.open(dataYaml, { imgSize: 64, warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, [ignoring("img_001", "image size (20, 8) <10 pixels")]);
    assert.equal(ds.length, 1);
  });
});
