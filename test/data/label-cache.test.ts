// The label cache: a second open of an unchanged split decodes no image; any change,
// corruption, version bump or unwritable folder is handled without a crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LABEL_CACHE_VERSION, YoloDataset, type YoloDatasetOptions, generateDetectionDataset } from "../../src/toolkit/data";

async function withDataset(fn: (root: string, dataYaml: string) => Promise<void>, train = 6): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-cache-"));
  try {
    const { dataYaml } = await generateDetectionDataset(root, { seed: 4, train, val: 1, nc: 3, imgSize: 48, format: "jpg" });
    await fn(root, dataYaml);
  } finally {
    await fs.chmod(path.join(root, "labels"), 0o755).catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  }
}

const cacheFile = (root: string) => path.join(root, "labels", "train.tfjs-lab.cache");
const image = (root: string, stem: string) => path.join(root, "images", "train", `${stem}.jpg`);
const label = (root: string, stem: string) => path.join(root, "labels", "train", `${stem}.txt`);

async function open(dataYaml: string, opts: YoloDatasetOptions = {}): Promise<{ ds: YoloDataset; warnings: string[]; lines: string[] }> {
  const warnings: string[] = [];
  const lines: string[] = [];
  const ds = await YoloDataset.open(dataYaml, { imgSize: 64, warn: (m) => warnings.push(m), progress: (l) => lines.push(l), ...opts });
  return { ds, warnings, lines };
}

/** Rewrites a file keeping its size and modification time: invisible to the hash. */
async function replaceUnseen(file: string, bytes: Buffer): Promise<void> {
  const st = await fs.stat(file);
  assert.equal(bytes.length, st.size);
  await fs.writeFile(file, bytes);
  // Fractional seconds keep the time below the millisecond a Date would cut off.
  await fs.utimes(file, st.atimeMs / 1000, st.mtimeMs / 1000);
}

test("a second open takes the scan from the cache and decodes no image", async () => {
  await withDataset(async (root, dataYaml) => {
    const first = await open(dataYaml);
    assert.deepEqual(first.ds.labelCache, { file: cacheFile(root), hit: false, miss: "absent", written: true });
    const doc = JSON.parse(await fs.readFile(cacheFile(root), "utf8"));
    assert.equal(doc.format, "tfjs-lab label cache");
    assert.equal(doc.version, LABEL_CACHE_VERSION);
    assert.equal(doc.images[0], "../images/train/img_000.jpg");
    assert.deepEqual(doc.records[0].size, [48, 48]);

    // Garbage of the same size and time: a decode would call it corrupt; the cache does not look.
    const original = await fs.readFile(image(root, "img_002"));
    await replaceUnseen(image(root, "img_002"), Buffer.alloc(original.length, 0x20));
    const second = await open(dataYaml);
    assert.deepEqual(second.ds.labelCache, { file: cacheFile(root), hit: true, written: false });
    assert.deepEqual(second.warnings, []);
    assert.deepEqual(second.lines, [`train: Scanning ${cacheFile(root)}... 6 images, 0 backgrounds, 0 corrupt: 100% 6/6`]);
    assert.deepEqual(second.ds.files, first.ds.files);
    assert.deepEqual(second.ds.stats, first.ds.stats);
    for (let i = 0; i < 6; i++) assert.deepEqual(second.ds.rawLabels(i), first.ds.rawLabels(i));
    await assert.rejects(second.ds.get(2), { name: "UnidentifiedImageError" });
  });
});

test("the cache is rebuilt when a label changes (even keeping its size), an image is added, or the root moves", async () => {
  await withDataset(async (root, dataYaml) => {
    await open(dataYaml);
    const text = await fs.readFile(label(root, "img_001"), "utf8");
    const edited = text.replace(/^\d/, (c) => String((Number(c) + 1) % 3));
    assert.equal(edited.length, text.length);
    await fs.writeFile(label(root, "img_001"), edited);
    const later = new Date(Date.now() + 5000);
    await fs.utimes(label(root, "img_001"), later, later);
    const changed = await open(dataYaml);
    assert.deepEqual(changed.ds.labelCache, { file: cacheFile(root), hit: false, miss: "changed", written: true });
    assert.equal(changed.ds.rawLabels(1)[0][0], Number(edited[0]));
    assert.equal((await open(dataYaml)).ds.labelCache.hit, true);

    await fs.copyFile(image(root, "img_000"), image(root, "img_100"));
    const added = await open(dataYaml);
    assert.equal(added.ds.labelCache.miss, "changed");
    assert.equal(added.ds.length, 7);
    assert.equal(added.ds.stats.missing, 1);

    // Same files, another dataset root: the stored messages' paths would be wrong.
    await fs.writeFile(path.join(root, "other.yaml"), `path: ${root}/images\ntrain: train\nval: val\nnames: [a, b, c]\n`);
    assert.equal((await open(path.join(root, "other.yaml"))).ds.labelCache.miss, "changed");
  });
});

test("a corrupt cache, another version's, and YOLOv5's own .cache pickle are never trusted", async () => {
  await withDataset(async (root, dataYaml) => {
    // YOLOv5's cache sits at labels/train.cache; ours has its own name, so it is neither read nor replaced.
    const pickle = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x80, 0x04, 0x95]);
    await fs.writeFile(path.join(root, "labels", "train.cache"), pickle);
    await fs.writeFile(cacheFile(root), "{ half a file");
    const corrupt = await open(dataYaml);
    assert.deepEqual(corrupt.warnings, []);
    assert.deepEqual(corrupt.ds.labelCache, { file: cacheFile(root), hit: false, miss: "unreadable", written: true });
    assert.ok((await fs.readFile(path.join(root, "labels", "train.cache"))).equals(pickle));

    await fs.writeFile(cacheFile(root), pickle);
    assert.equal((await open(dataYaml)).ds.labelCache.miss, "unreadable");

    const doc = JSON.parse(await fs.readFile(cacheFile(root), "utf8"));
    await fs.writeFile(cacheFile(root), JSON.stringify({ ...doc, version: LABEL_CACHE_VERSION + 1 }));
    assert.equal((await open(dataYaml)).ds.labelCache.miss, "version");

    doc.records[0].rows = [[0, "0.5"]];
    await fs.writeFile(cacheFile(root), JSON.stringify(doc));
    const malformed = await open(dataYaml);
    assert.equal(malformed.ds.labelCache.miss, "unreadable");
    assert.equal(malformed.ds.rawLabels(0).length > 0, true);
  });
});

test("a cache hit repeats the scan's warnings and keeps corrupt images out", async () => {
  await withDataset(async (root, dataYaml) => {
    const ok = "0 0.5 0.5 0.2 0.2";
    await fs.writeFile(label(root, "img_001"), `${ok}\n${ok}\n`);
    await fs.writeFile(label(root, "img_003"), `${ok}\n1 0.5 0.5 7 0.1\n`);
    await fs.writeFile(image(root, "img_004"), "not a jpeg");
    await fs.writeFile(label(root, "img_005"), "");
    const first = await open(dataYaml);
    const second = await open(dataYaml);
    assert.equal(second.ds.labelCache.hit, true);
    assert.deepEqual(second.warnings, first.warnings);
    assert.deepEqual(second.warnings, [
      "train: WARNING ⚠️ images/train/img_001.jpg: 1 duplicate labels removed",
      "train: WARNING ⚠️ images/train/img_003.jpg: ignoring corrupt image/label: labels/train/img_003.txt:2: non-normalized or out of bounds coordinates [7] (x y w h must be fractions of the image size, 0 to 1)",
      "train: WARNING ⚠️ images/train/img_004.jpg: ignoring corrupt image/label: Input buffer contains unsupported image format",
    ]);
    assert.deepEqual(second.ds.stats, { found: 3, missing: 0, empty: 1, corrupt: 2 });
    assert.deepEqual(second.lines, [`train: Scanning ${cacheFile(root)}... 4 images, 1 backgrounds, 2 corrupt: 100% 6/6`]);
    assert.deepEqual(
      second.ds.files.map((f) => path.basename(f)),
      ["img_000.jpg", "img_001.jpg", "img_002.jpg", "img_005.jpg"],
    );
  });
});

test("a cache that cannot be written is a warning; the dataset still opens", async () => {
  await withDataset(async (root, dataYaml) => {
    // A folder where the cache file should go defeats the write even for root, who ignores permissions.
    await fs.mkdir(cacheFile(root));
    const { ds, warnings } = await open(dataYaml);
    assert.equal(ds.length, 6);
    assert.equal(ds.labelCache.written, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`^train: WARNING ⚠️ Cache directory ${path.join(root, "labels")} is not writeable: .+`));
    assert.deepEqual(
      (await fs.readdir(path.join(root, "labels"))).sort(),
      ["train", "train.tfjs-lab.cache", "val"],
      "no temporary file left",
    );
  });
});

// Root writes through read-only permissions, so as root the open runs in a child process
// as "nobody" (uid 65534): the permission check is the real one either way, never skipped.
const isRoot = process.getuid?.() === 0;
const DATA_INDEX = path.join(__dirname, "../../src/toolkit/data/index.js");

async function openAsUnprivileged(dataYaml: string): Promise<{ length: number; warnings: string[]; written: boolean }> {
  const script = `
const { YoloDataset } = require(${JSON.stringify(DATA_INDEX)});
const warnings = [];
YoloDataset.open(process.argv[1], { imgSize: 64, warn: (m) => warnings.push(m), progress: false })
  .then((ds) => console.log(JSON.stringify({ length: ds.length, warnings, written: ds.labelCache.written })));`;
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, ["-e", script, dataYaml], { uid: 65534, gid: 65534, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!);
}

test("a read-only dataset folder: warned once, opened, nothing written (and the temporary directory's mode is left alone)", async () => {
  const tmpMode = (await fs.stat(os.tmpdir())).mode;
  await withDataset(async (root, dataYaml) => {
    await fs.chmod(path.join(root, "labels"), 0o555);
    let r: { length: number; warnings: string[]; written: boolean };
    if (isRoot) {
      // The child must be able to read the dataset and walk to it: the folders mkdtemp made
      // inside the temporary directory, never that directory itself (0755 on /tmp took its
      // world-writable bit, and apt-get update then failed for its unprivileged user).
      const tmp = os.tmpdir() + path.sep;
      for (let d = root; d.startsWith(tmp); d = path.dirname(d)) await fs.chmod(d, 0o755).catch(() => {});
      await fs.chmod(root, 0o755);
      r = await openAsUnprivileged(dataYaml);
    } else {
      const { ds, warnings } = await open(dataYaml);
      r = { length: ds.length, warnings, written: ds.labelCache.written };
    }
    assert.equal(r.length, 6);
    assert.match(r.warnings[0], /^train: WARNING ⚠️ Cache directory .+ is not writeable: EACCES/);
    assert.equal(r.written, false);
  });
  assert.equal((await fs.stat(os.tmpdir())).mode.toString(8), tmpMode.toString(8));
});

test("labelCache: false neither reads nor writes the cache", async () => {
  await withDataset(async (root, dataYaml) => {
    const { ds } = await open(dataYaml, { labelCache: false });
    assert.deepEqual(ds.labelCache, { file: cacheFile(root), hit: false, miss: "off", written: false });
    await assert.rejects(fs.stat(cacheFile(root)), { code: "ENOENT" });
  });
});

test("progress: lines while scanning, one final line at 100%, none with progress: false", async () => {
  await withDataset(async (root, dataYaml) => {
    const calls: [string, boolean][] = [];
    await YoloDataset.open(dataYaml, { imgSize: 64, progress: (l, done) => calls.push([l, done]), labelCache: false });
    const labels = path.join(root, "labels", "train");
    assert.deepEqual(calls[0], [`train: Scanning ${labels}... 0 images, 0 backgrounds, 0 corrupt: 0% 0/40`, false]);
    assert.deepEqual(calls.at(-1), [`train: Scanning ${labels}... 40 images, 0 backgrounds, 0 corrupt: 100% 40/40`, true]);
    assert.ok(calls.slice(0, -1).every(([, done]) => !done));
    const before = process.stderr.write;
    let written = "";
    process.stderr.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      await YoloDataset.open(dataYaml, { imgSize: 64, progress: false });
    } finally {
      process.stderr.write = before;
    }
    assert.equal(written, "");
  }, 40);
});

test("the cache of a .txt split sits beside the list", async () => {
  await withDataset(async (root, dataYaml) => {
    await fs.writeFile(path.join(root, "train.txt"), "./images/train/img_000.jpg\n./images/train/img_001.jpg\n");
    await fs.writeFile(dataYaml, (await fs.readFile(dataYaml, "utf8")).replace("train: images/train", "train: train.txt"));
    const first = await open(dataYaml);
    assert.equal(first.ds.labelCache.file, path.join(root, "train.tfjs-lab.cache"));
    assert.equal(first.ds.labelCache.written, true);
    assert.equal((await open(dataYaml)).ds.labelCache.hit, true);
  });
});

test("cache: true after a cache hit keeps images in memory from their first read", async () => {
  await withDataset(async (root, dataYaml) => {
    await open(dataYaml);
    const { ds } = await open(dataYaml, { cache: true });
    assert.equal(ds.labelCache.hit, true);
    const a = await ds.get(0);
    await fs.rm(image(root, "img_000"));
    const b = await ds.get(0);
    assert.deepEqual(b.image.data, a.image.data);
  });
});
