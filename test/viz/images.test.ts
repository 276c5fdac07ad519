// drawDetections and imageGrid: sizes, class colours at box edges, tags, grid layout.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { classColor, drawDetections, imageGrid } from "../../src/toolkit/viz";
import type { PngImage } from "../../src/display";

before(async () => {
  await tf.setBackend("cpu");
});

async function pixels(img: PngImage) {
  const { data, info } = await sharp(Buffer.from(img.png)).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) =>
    Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  return { info, at, data };
}

test("drawDetections: a PNG of the image's size, box edges in the class colour, the rest untouched", async () => {
  const image = tf.fill([48, 64, 3], 0.5); // float 0..1, as the loaders give
  const png = await drawDetections(image, tf.tensor2d([[8, 8, 56, 40, 0.87, 2]]), { names: ["a", "b", "car"] });
  image.dispose();
  assert.equal(png.width, 64);
  assert.equal(png.height, 48);
  const { info, at } = await pixels(png);
  assert.deepEqual([info.width, info.height, info.channels], [64, 48, 3]);
  const car = classColor(2);
  assert.deepEqual(car, [0xff, 0x70, 0x1f]);
  assert.deepEqual(at(8, 35), car, "left edge");
  assert.deepEqual(at(56, 35), car, "right edge");
  assert.deepEqual(at(30, 40), car, "bottom edge");
  assert.deepEqual(at(30, 32), [128, 128, 128], "inside the box");
  assert.deepEqual(at(2, 45), [128, 128, 128], "outside the box");
  // The tag (no room above the box, so inside its top) is the class colour with text on it.
  const tag: number[][] = [];
  for (let y = 9; y < 22; y++) for (let x = 10; x < 40; x++) tag.push(at(x, y));
  const colour = tag.filter((p) => p.join() === car.join()).length;
  const text = tag.filter((p) => p[0] + p[1] + p[2] > 600).length; // white text on a dark-enough colour
  assert.ok(colour > tag.length / 3, `tag background (${colour} of ${tag.length})`);
  assert.ok(text > 5, `text pixels on the tag (${text})`);
  assert.equal(png[Symbol.for("Jupyter.display") as keyof PngImage] !== undefined, true);
});

test("drawDetections takes NMS detections and raw RGB, skips low scores and rejects bad rows", async () => {
  const raw = { data: new Uint8Array(32 * 32 * 3).fill(10), width: 32, height: 32 };
  const dets = [
    { box: [2, 2, 20, 20] as [number, number, number, number], conf: 0.9, cls: 0 },
    { box: [4, 4, 30, 30] as [number, number, number, number], conf: 0.1, cls: 5 },
  ];
  const png = await drawDetections(raw, dets, { minConf: 0.5, labels: false });
  assert.equal(png.caption, "1 detection");
  const { at } = await pixels(png);
  assert.deepEqual(at(2, 10), classColor(0));
  assert.deepEqual(at(30, 25), [10, 10, 10], "the low-score box is not drawn");
  assert.equal(raw.data[0], 10, "the caller's image is not drawn on");
  await assert.rejects(drawDetections(raw, [[1, 2, 3, 4]]), /detection 0 has 4 numbers; expected 6: x1, y1, x2, y2, conf, cls/);
  await assert.rejects(drawDetections(tf.zeros([2, 8, 8, 3]), []), /expected an image tensor \[H, W, 3\]/);
});

test("imageGrid: B=4 with 2 columns is 2x2 tiles 2 px apart, with YOLO target boxes on their image", async () => {
  const images = tf.fill([4, 20, 30, 3], 0.25);
  // Image 3 (bottom right), class 0, centred, half the size.
  const targets = tf.tensor2d([[3, 0, 0.5, 0.5, 0.5, 0.5]]);
  const png = await imageGrid(images, targets, { cols: 2, names: ["person"] });
  images.dispose();
  targets.dispose();
  assert.deepEqual([png.width, png.height], [62, 42]);
  const { info, at } = await pixels(png);
  assert.deepEqual([info.width, info.height], [62, 42]);
  assert.deepEqual(at(30, 5), [255, 255, 255], "gap between columns");
  assert.deepEqual(at(5, 20), [255, 255, 255], "gap between rows");
  assert.deepEqual(at(5, 5), [64, 64, 64], "tile 0");
  // Tile 3 starts at (32, 22); its box spans x 7.5..22.5, y 5..15 of the tile.
  assert.deepEqual(at(40, 33), classColor(0), "left edge of the target box in tile 3");
  assert.deepEqual(at(47, 33), [64, 64, 64], "inside the box");
  assert.deepEqual(at(8, 33), [64, 64, 64], "tile 2 has no box");
});

test("imageGrid: default columns, classification captions, scaling to maxSize", async () => {
  const batch = tf.zeros([5, 100, 100, 3]);
  const png = await imageGrid(batch, [0, 1, 0, 1, 1], { names: ["cat", "dog"] });
  assert.deepEqual([png.width, png.height], [3 * 100 + 2 * 2, 2 * 100 + 2]);
  const { at } = await pixels(png);
  assert.notDeepEqual(at(3, 3), [0, 0, 0], "caption tag at the tile's corner");
  // 5 tiles and 4 gaps in 252 px: tiles of floor((252 - 8) / 5) = 48 px.
  const small = await imageGrid(batch, undefined, { cols: 5, maxSize: 252 });
  assert.deepEqual([small.width, small.height], [5 * 48 + 8, 48]);
  batch.dispose();
  await assert.rejects(imageGrid(tf.zeros([2, 4, 4, 3]), tf.zeros([3, 4])), /expected YOLO targets \[nt, 6\]/);
});
