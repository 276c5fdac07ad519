import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { cv2Resize, type Cv2Image, type Cv2Interpolation } from "../../src/toolkit/data/cv2-resize";

// Reference outputs from OpenCV's cv2.resize, made by test/fixtures/cv2-resize/make_cv2_resize.py
// (see its docstring). Only the committed JSON is read here, so OpenCV need not be installed.
interface Fixture {
  opencv: string;
  images: Record<string, { width: number; height: number; seed: number }>;
  cases: {
    image: string;
    width: number;
    height: number;
    interpolation: Cv2Interpolation;
    data?: string;
    sha256?: string;
    samples?: number[][];
  }[];
}

// The JSON is read from the source tree (test/ is compiled to dist/test/, the fixtures are not copied).
const FIXTURE = path.resolve(__dirname, "../../../test/fixtures/cv2-resize/cv2-resize.json");
const fixture: Fixture = JSON.parse(readFileSync(FIXTURE, "utf8"));

/** make_image() of the generator: the same 32-bit integer formula (numpy uint64 & 0xffffffff there). */
function makeImage(width: number, height: number, seed: number): Cv2Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let h = (x * 374761393 + y * 668265263 + c * 1274126177 + seed * 2246822519) >>> 0;
        h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
        h = Math.imul(h ^ (h >>> 13), 3266489917) >>> 0;
        h = (h ^ (h >>> 16)) >>> 0;
        const noise = h >>> 24;
        const gx = Math.floor((x * 255) / Math.max(width - 1, 1));
        const gy = Math.floor((y * 255) / Math.max(height - 1, 1));
        const gxy = Math.floor(((x + y) * 255) / Math.max(width + height - 2, 1));
        const grad = c === 0 ? gx : c === 1 ? gy : gxy;
        const region = (Math.floor(x / 8) + Math.floor(y / 8) * 3 + seed) % 4;
        const checker = ((Math.floor(x / 4) + Math.floor(y / 4)) & 1) === 1 ? 255 : 0;
        const v = region === 0 ? grad : region === 1 ? noise : region === 2 ? Math.floor((grad * 3 + noise) / 4) : checker;
        data[(y * width + x) * 3 + c] = v;
      }
    }
  }
  return { data, width, height };
}

const images = new Map<string, Cv2Image>();
function image(name: string): Cv2Image {
  let img = images.get(name);
  if (!img) {
    const spec = fixture.images[name];
    img = makeImage(spec.width, spec.height, spec.seed);
    images.set(name, img);
  }
  return img;
}

test("cv2-resize fixture: makeImage rebuilds the generator's input (its same-size case is the input itself)", () => {
  assert.ok(fixture.cases.length >= 100, "fixture has its cases");
  const same = fixture.cases.find((c) => c.image === "a37x23" && c.width === 37 && c.height === 23 && c.data !== undefined);
  assert.ok(same, "the 37x23 -> 37x23 case is stored in full");
  assert.deepEqual(Buffer.from(image("a37x23").data), Buffer.from(same.data!, "base64"));
});

for (const c of fixture.cases) {
  const src = fixture.images[c.image];
  test(`cv2Resize ${c.interpolation} ${src.width}x${src.height} -> ${c.width}x${c.height} matches OpenCV ${fixture.opencv}`, () => {
    const out = cv2Resize(image(c.image), c.width, c.height, c.interpolation);
    assert.equal(out.width, c.width);
    assert.equal(out.height, c.height);
    assert.equal(out.data.length, c.width * c.height * 3);
    if (c.data !== undefined) {
      const want = Buffer.from(c.data, "base64");
      let differ = 0;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(want[i] - out.data[i]);
        if (d > 0) differ++;
        if (d > maxDiff) maxDiff = d;
      }
      assert.equal(differ, 0, `${differ} of ${want.length} values differ, max abs difference ${maxDiff}`);
    } else {
      for (const [i, r, g, b] of c.samples ?? []) {
        assert.deepEqual([out.data[i * 3], out.data[i * 3 + 1], out.data[i * 3 + 2]], [r, g, b], `pixel ${i}`);
      }
      assert.equal(createHash("sha256").update(out.data).digest("hex"), c.sha256, "sha256 of the output");
    }
  });
}

test("cv2Resize returns a copy for an unchanged size and rejects bad input", () => {
  const img = image("k2x2");
  const same = cv2Resize(img, 2, 2, "linear");
  assert.deepEqual(same.data, img.data);
  assert.notEqual(same.data, img.data);
  assert.throws(() => cv2Resize(img, 0, 2, "area"), RangeError);
  assert.throws(() => cv2Resize({ data: new Uint8Array(5), width: 2, height: 2 }, 4, 4, "linear"), RangeError);
  assert.throws(() => cv2Resize(img, 4, 4, "cubic" as Cv2Interpolation), RangeError);
});
