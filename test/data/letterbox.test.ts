import { test } from "node:test";
import assert from "node:assert/strict";
import { letterbox, pyRound, type RgbImage } from "../../src/toolkit/data";

/** A solid image of value 200, so padding (114) and content are told apart. */
function solid(height: number, width: number): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(200), width, height };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

// Expected figures worked out from YOLOv5's letterbox:
// r = min(newH/h, newW/w); unpad = round(w*r), round(h*r); d = new - unpad (mod stride if auto); halves;
// top/bottom = round(dh -/+ 0.1), left/right = round(dw -/+ 0.1).
const cases: {
  name: string;
  h: number;
  w: number;
  shape: number | [number, number];
  opts: Parameters<typeof letterbox>[2];
  out: [number, number];
  ratio: [number, number];
  pad: [number, number];
}[] = [
  {
    name: "400x640 at 640, auto: pads to the next multiple of 32",
    h: 400,
    w: 640,
    shape: 640,
    opts: { auto: true },
    out: [416, 640],
    ratio: [1, 1],
    pad: [0, 8],
  },
  {
    name: "400x640 at 640, no auto: square",
    h: 400,
    w: 640,
    shape: 640,
    opts: { auto: false },
    out: [640, 640],
    ratio: [1, 1],
    pad: [0, 120],
  },
  {
    name: "384x640 at 640, auto: already a multiple",
    h: 384,
    w: 640,
    shape: 640,
    opts: { auto: true },
    out: [384, 640],
    ratio: [1, 1],
    pad: [0, 0],
  },
  {
    name: "300x500 at 320, auto: shrinks by 0.64",
    h: 300,
    w: 500,
    shape: 320,
    opts: { auto: true },
    out: [192, 320],
    ratio: [0.64, 0.64],
    pad: [0, 0],
  },
  {
    name: "500x300 at 320, auto, stride 64",
    h: 500,
    w: 300,
    shape: 320,
    opts: { auto: true, stride: 64 },
    out: [320, 192],
    ratio: [0.64, 0.64],
    pad: [0, 0],
  },
  {
    name: "100x100 at [64, 96], no auto",
    h: 100,
    w: 100,
    shape: [64, 96],
    opts: { auto: false },
    out: [64, 96],
    ratio: [0.64, 0.64],
    pad: [16, 0],
  },
  {
    name: "91x100 at 100, no auto: odd padding goes 4 top, 5 bottom",
    h: 91,
    w: 100,
    shape: 100,
    opts: { auto: false },
    out: [100, 100],
    ratio: [1, 1],
    pad: [0, 4.5],
  },
  {
    name: "50x80 at 160, scaleup false: not enlarged",
    h: 50,
    w: 80,
    shape: 160,
    opts: { auto: false, scaleup: false },
    out: [160, 160],
    ratio: [1, 1],
    pad: [40, 55],
  },
  {
    name: "50x80 at 160, scaleFill: stretched",
    h: 50,
    w: 80,
    shape: 160,
    opts: { auto: false, scaleFill: true },
    out: [160, 160],
    ratio: [2, 3.2],
    pad: [0, 0],
  },
];

for (const c of cases) {
  test(`letterbox ${c.name}`, async () => {
    const { image, ratio, pad } = await letterbox(solid(c.h, c.w), c.shape, c.opts);
    assert.deepEqual([image.height, image.width], c.out);
    assert.equal(image.data.length, c.out[0] * c.out[1] * 3);
    assert.deepEqual(ratio, c.ratio);
    assert.deepEqual(pad, c.pad);
  });
}

test("letterbox fills the border with the padding colour and keeps the content", async () => {
  const { image } = await letterbox(solid(400, 640), 640, { auto: true });
  assert.deepEqual(pixel(image, 320, 0), [114, 114, 114]);
  assert.deepEqual(pixel(image, 320, 7), [114, 114, 114]);
  assert.deepEqual(pixel(image, 320, 8), [200, 200, 200]);
  assert.deepEqual(pixel(image, 320, 407), [200, 200, 200]);
  assert.deepEqual(pixel(image, 320, 408), [114, 114, 114]);
  const odd = await letterbox(solid(91, 100), 100, { auto: false, color: [1, 2, 3] });
  assert.deepEqual(pixel(odd.image, 0, 3), [1, 2, 3]);
  assert.deepEqual(pixel(odd.image, 0, 4), [200, 200, 200]);
  assert.deepEqual(pixel(odd.image, 0, 94), [200, 200, 200]);
  assert.deepEqual(pixel(odd.image, 0, 95), [1, 2, 3]);
});

test("pyRound rounds halves to even, as Python's round", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 4.4, 4.6, -0.5, -1.5].map(pyRound), [0, 2, 2, 4, 5, 0, -2]);
});
