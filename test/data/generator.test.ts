import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import {
  classAppearance,
  generateClassificationDataset,
  generateDetectionDataset,
  generateMultiLabelDataset,
  parseYoloLabels,
  readDataYaml,
  readImageFile,
} from "../../src/toolkit/data";

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-gen-"));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** sha256 over every file's relative path and bytes, in sorted order. */
async function hashTree(root: string): Promise<string> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else files.push(full);
    }
  };
  await walk(root);
  files.sort();
  const h = createHash("sha256");
  for (const f of files) {
    h.update(path.relative(root, f));
    h.update(await fs.readFile(f));
  }
  return h.digest("hex");
}

test("the same seed writes byte-identical datasets; another seed does not", async () => {
  await withTmp(async (dir) => {
    const small = { train: 12, val: 4 };
    for (const [name, seed] of [
      ["a", 7],
      ["b", 7],
      ["c", 8],
    ] as const) {
      await generateDetectionDataset(path.join(dir, name, "det"), { seed, ...small });
      await generateClassificationDataset(path.join(dir, name, "cls"), { seed, trainPerClass: 4, valPerClass: 2 });
      await generateMultiLabelDataset(path.join(dir, name, "ml"), { seed, ...small });
    }
    for (const kind of ["det", "cls", "ml"]) {
      const [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => hashTree(path.join(dir, n, kind))));
      assert.equal(a, b, `${kind}: same seed, same bytes`);
      assert.notEqual(a, c, `${kind}: different seed, different bytes`);
    }
  });
});

test("detection set: data.yaml, images and labels parse back, small objects included, labels sit on their shapes", async () => {
  await withTmp(async (dir) => {
    const info = await generateDetectionDataset(dir, { seed: 3, train: 40, val: 8, nc: 4, imgSize: [96, 128], format: "png" });
    const data = await readDataYaml(info.dataYaml);
    assert.equal(data.nc, 4);
    assert.deepEqual(data.names, info.names);
    assert.equal(data.train[0], path.join(dir, "images", "train"));
    const trainImages = (await fs.readdir(path.join(dir, "images", "train"))).sort();
    assert.equal(trainImages.length, 40);
    assert.equal(trainImages[0], "img_000.png");
    assert.equal((await fs.readdir(path.join(dir, "images", "val"))).length, 8);
    assert.ok(info.objects.small > 0, "some objects are small");
    assert.ok(info.objects.small < info.objects.total, "not all objects are small");

    let checked = 0;
    for (const name of trainImages) {
      const stem = name.replace(/\.png$/, "");
      const meta = await sharp(path.join(dir, "images", "train", name)).metadata();
      assert.equal(meta.width, 128);
      assert.equal(meta.height, 96);
      const text = await fs.readFile(path.join(dir, "labels", "train", `${stem}.txt`), "utf8");
      const { rows, notes } = parseYoloLabels(text, stem);
      assert.deepEqual(notes, []);
      assert.ok(rows.length >= 1);
      const img = await readImageFile(path.join(dir, "images", "train", name));
      for (const [cls, cx, cy] of rows) {
        assert.ok(Number.isInteger(cls) && cls >= 0 && cls < 4);
        // The box centre is inside every shape; its colour is the class colour (up to the drawing noise).
        const x = Math.min(127, Math.floor(cx * 128));
        const y = Math.min(95, Math.floor(cy * 96));
        const o = (y * 128 + x) * 3;
        const rgb = classAppearance(cls, 4).rgb;
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(img.data[o + c] - rgb[c]) <= 13, `${stem}: colour at box centre`);
        checked++;
      }
    }
    assert.ok(checked >= 40);
  });
});

test("ImageFolder set: one folder per class, sorted names, requested counts", async () => {
  await withTmp(async (dir) => {
    const info = await generateClassificationDataset(dir, { seed: 1, nc: 5, trainPerClass: 3, valPerClass: 2, imgSize: 32 });
    assert.deepEqual(info.classes, [...info.classes].sort());
    assert.deepEqual((await fs.readdir(path.join(dir, "train"))).sort(), info.classes);
    for (const c of info.classes) {
      assert.equal((await fs.readdir(path.join(dir, "train", c))).length, 3);
      assert.equal((await fs.readdir(path.join(dir, "val", c))).length, 2);
    }
    const meta = await sharp(path.join(dir, "train", info.classes[0], "img_000.png")).metadata();
    assert.equal(meta.width, 32);
    assert.equal(meta.format, "png");
  });
});

test("multi-label lists: path<TAB>33 comma-separated 0/1 values, every image exists and has a label", async () => {
  await withTmp(async (dir) => {
    const info = await generateMultiLabelDataset(dir, { seed: 2, train: 20, val: 6 });
    const lines = (await fs.readFile(info.trainList, "utf8")).trimEnd().split("\n");
    assert.equal(lines.length, 20);
    const counts = new Array(33).fill(0);
    for (const line of lines) {
      const m = /^(images\/img_\d{4}\.jpg)\t([01](,[01]){32})$/.exec(line);
      assert.ok(m, `line format: ${line}`);
      await fs.access(path.join(dir, m[1]));
      const labels = m[2].split(",").map(Number);
      assert.ok(labels.some((v) => v === 1));
      labels.forEach((v, k) => (counts[k] += v));
    }
    assert.deepEqual(
      info.positiveRatio,
      counts.map((c) => c / 20),
    );
    assert.equal((await fs.readFile(info.valList, "utf8")).trimEnd().split("\n").length, 6);
    assert.equal(info.names.length, 33);
    assert.equal(new Set(info.names).size, 33);
  });
});

test("nc beyond what the palette can draw is refused", async () => {
  await assert.rejects(generateDetectionDataset(path.join(os.tmpdir(), "never-written"), { nc: 40, train: 1, val: 0 }), {
    name: "RangeError",
    message: "nc must be an integer from 1 to 36 (12 colours x 3 shapes), got 40",
  });
});
