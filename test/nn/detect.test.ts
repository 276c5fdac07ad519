// Detect's channel order and the eval decode against yolov5 v7.0's own output
// (test/fixtures/yolov5-v7.0-loss-and-decode.json, cases A and B).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { Detect, detectDecode, DEFAULT_ANCHORS, manualSeed } from "../../src/toolkit/nn";

interface DecodeCase {
  nc: number;
  preds: number[][][][][][];
  decoded_shape: number[];
  decoded_sum: number;
  decoded_first_rows: number[][];
  strides: number[];
  anchors_px: number[][][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, "../../../test/fixtures/yolov5-v7.0-loss-and-decode.json"), "utf8")) as Record<
  string,
  DecodeCase
>;

before(async () => {
  await switchBackend("wasm");
});

function close(actual: number, expected: number, rel = 1e-4, abs = 1e-5): boolean {
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
}

for (const name of ["A", "B"]) {
  test(`decode matches yolov5 v7.0 on fixture case ${name}`, () => {
    const c = fixture[name];
    const maps = c.preds.map((p) => tf.tensor(p));
    const decoded = detectDecode(maps, { anchors: c.anchors_px, strides: c.strides });
    assert.deepEqual(decoded.shape, c.decoded_shape);
    const sum = decoded.sum().arraySync() as number;
    assert.ok(close(sum, c.decoded_sum), `sum ${sum} vs ${c.decoded_sum}`);
    const rows = decoded.slice([0, 0, 0], [1, c.decoded_first_rows.length, -1]).arraySync() as number[][][];
    rows[0].forEach((row, r) =>
      row.forEach((v, k) => {
        assert.ok(close(v, c.decoded_first_rows[r][k]), `row ${r} col ${k}: ${v} vs ${c.decoded_first_rows[r][k]}`);
      }),
    );
    // The default anchors and strides are the fixture's.
    assert.deepEqual(
      c.anchors_px.map((l) => l.flat()),
      DEFAULT_ANCHORS,
    );
    tf.dispose([...maps, decoded]);
  });
}

test("Detect splits conv channels as PyTorch's view(bs, na, no, ny, nx)", () => {
  manualSeed(7);
  const detect = new Detect(2, DEFAULT_ANCHORS, [4, 4, 4]);
  manualSeed(undefined);
  const xs = [4, 2, 1].map((s, i) => tf.randomNormal([2, s, s + 1, 4], 0, 1, "float32", i) as tf.Tensor4D);
  const maps = detect.maps(xs);
  assert.deepEqual(
    maps.map((m) => m.shape),
    [
      [2, 3, 4, 5, 7],
      [2, 3, 2, 3, 7],
      [2, 3, 1, 2, 7],
    ],
  );
  const raw = detect.m.items[1].forward(xs[1]).arraySync() as number[][][][]; // [bs, ny, nx, na*no]
  const map = maps[1].arraySync() as number[][][][][];
  for (const [b, a, y, x, k] of [
    [0, 0, 0, 0, 0],
    [1, 2, 1, 2, 6],
    [0, 1, 1, 0, 4],
    [1, 2, 0, 1, 3],
  ]) {
    assert.equal(map[b][a][y][x][k], raw[b][y][x][a * 7 + k]);
  }
  tf.dispose([...xs, ...maps]);
  detect.dispose();
});

test("Detect's biases: objectness and class priors added per anchor", () => {
  manualSeed(3);
  const detect = new Detect(3, DEFAULT_ANCHORS, [8, 8, 8]);
  manualSeed(undefined);
  const before = detect.m.items.map((c) => c.bias!.arraySync() as number[]);
  detect.initializeBiases();
  detect.m.items.forEach((conv, i) => {
    const after = conv.bias!.arraySync() as number[];
    const s = [8, 16, 32][i];
    for (let a = 0; a < 3; a++) {
      for (let k = 0; k < 8; k++) {
        const add = k === 4 ? Math.log(8 / (640 / s) ** 2) : k >= 5 ? Math.log(0.6 / (3 - 0.99)) : 0;
        assert.ok(close(after[a * 8 + k] - before[i][a * 8 + k], add), `level ${i} anchor ${a} k ${k}`);
      }
    }
  });
  detect.dispose();
});

test("detect decode keeps no tensors behind", () => {
  const maps = fixture.B.preds.map((p) => tf.tensor(p));
  const n = tf.memory().numTensors;
  const d = detectDecode(maps);
  assert.equal(tf.memory().numTensors, n + 1);
  tf.dispose([...maps, d]);
});
