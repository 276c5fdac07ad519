// The whole YOLOv5n forward against PyTorch: make_torch_parity.py builds the v7.0 layout in
// PyTorch with weights given by a formula of each state_dict name and index; this test
// rebuilds the same weights (transposed to TensorFlow.js's layout) and compares eval
// decode, train maps and the BatchNorm running-stat update.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { yolov5, type YOLOv5 } from "../../src/toolkit/nn";

interface Parity {
  eval_decoded_shape: number[];
  eval_decoded_sum: number;
  eval_decoded_abs_sum: number;
  eval_decoded_rows: Record<string, number[]>;
  train_map_sums: number[];
  train_map_abs_sums: number[];
  train_map_samples: number[][];
  running_mean_model_23_cv3_bn: number[];
}
const expected = JSON.parse(readFileSync(join(__dirname, "../../../test/nn/fixtures/yolov5n-torch-parity.json"), "utf8")) as Parity;

function nameCode(name: string): number {
  let s = 0;
  for (let k = 0; k < name.length; k++) s += (k + 1) * name.charCodeAt(k);
  return s % 997;
}

/** make_torch_parity.py's `deterministic`, in PyTorch's layout. */
function deterministic(name: string, size: number, fanIn: number): Float32Array {
  const code = nameCode(name);
  return Float32Array.from({ length: size }, (_, i) => {
    const base = Math.sin(0.731 * i + 0.1 * code);
    if (name.endsWith("running_var")) return 1 + 0.5 * Math.abs(base);
    if (name.endsWith("running_mean")) return 0.1 * base;
    if (name.endsWith("bn.weight")) return 1 + 0.2 * base;
    if (name.endsWith("bias")) return 0.1 * base;
    return (1.5 * base) / Math.sqrt(fanIn);
  });
}

function loadDeterministicWeights(model: YOLOv5): void {
  for (const [name, v] of [...model.namedParameters(), ...model.namedBuffers()]) {
    tf.tidy(() => {
      if (v.rank === 4) {
        const [kh, kw, cin, cout] = v.shape;
        const torchLayout = tf.tensor(deterministic(name, v.size, cin * kh * kw), [cout, cin, kh, kw]);
        v.assign(tf.transpose(torchLayout, [2, 3, 1, 0]));
      } else {
        v.assign(tf.tensor(deterministic(name, v.size, 1), v.shape));
      }
    });
  }
}

function close(actual: number, wanted: number, rel = 1e-4, abs = 1e-4): boolean {
  return Math.abs(actual - wanted) <= Math.max(abs, rel * Math.abs(wanted));
}

let model: YOLOv5;
let x: tf.Tensor4D;
before(async () => {
  await switchBackend("wasm");
  model = yolov5({ scale: "n", nc: 80 });
  loadDeterministicWeights(model);
  const n = 2 * 3 * 64 * 64;
  x = tf.tidy(() =>
    tf.transpose(
      tf.tensor(
        Float32Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(0.01 * i)),
        [2, 3, 64, 64],
      ),
      [0, 2, 3, 1],
    ),
  ) as tf.Tensor4D;
});

test("eval decode equals PyTorch's", () => {
  const [decoded, maps] = model.eval().forward(x) as [tf.Tensor, tf.Tensor[]];
  assert.deepEqual(decoded.shape, expected.eval_decoded_shape);
  const sum = decoded.sum().dataSync()[0],
    absSum = decoded.abs().sum().dataSync()[0];
  assert.ok(close(sum, expected.eval_decoded_sum), `sum ${sum} vs ${expected.eval_decoded_sum}`);
  assert.ok(close(absSum, expected.eval_decoded_abs_sum), `abs sum ${absSum} vs ${expected.eval_decoded_abs_sum}`);
  const image1 = decoded.arraySync() as number[][][];
  for (const [row, values] of Object.entries(expected.eval_decoded_rows)) {
    values.forEach((v, k) => assert.ok(close(image1[1][Number(row)][k], v), `row ${row} col ${k}: ${image1[1][Number(row)][k]} vs ${v}`));
  }
  tf.dispose([decoded, ...maps]);
});

test("train maps (batch statistics) and the running-stat update equal PyTorch's", () => {
  const maps = model.train().forward(x) as tf.Tensor[];
  maps.forEach((m, i) => {
    const sum = m.sum().dataSync()[0],
      absSum = m.abs().sum().dataSync()[0];
    assert.ok(close(sum, expected.train_map_sums[i], 1e-4, 1e-2), `map ${i} sum ${sum} vs ${expected.train_map_sums[i]}`);
    assert.ok(close(absSum, expected.train_map_abs_sums[i]), `map ${i} abs sum ${absSum} vs ${expected.train_map_abs_sums[i]}`);
    const sample = m.slice([1, 2, 1, 1, 0], [1, 1, 1, 1, 8]).dataSync();
    expected.train_map_samples[i].forEach((v, k) => assert.ok(close(sample[k], v), `map ${i} [${k}] ${sample[k]} vs ${v}`));
  });
  const bn = model.namedBuffers().find(([n]) => n === "model.23.cv3.bn.running_mean")![1];
  const rm = bn.dataSync().slice(0, 8);
  expected.running_mean_model_23_cv3_bn.forEach((v, k) => assert.ok(close(rm[k], v), `running_mean[${k}] ${rm[k]} vs ${v}`));
  tf.dispose(maps);
});
