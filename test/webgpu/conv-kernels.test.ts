// Our WGSL convolution gradients (filter and input) on webgpu (SwiftShader) against wasm, on
// YOLOv5n's layer shapes at a small image: the first 6x6 stride-2 layer (filter only: its
// input needs no gradient), 3x3 stride 2 and 1, 1x1, a deep 3x3 (K = 3*3*64 over several
// 32-tiles), Detect's 1x1 to 3*(5+nc) channels, and odd sizes with uneven 'same' padding.
// Each case checks which program ran: ours, or the stock one where ours hands it back.
import { requireSwiftShader } from "./swiftshader";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { randomArray } from "../helpers/random-array";
import { assertAgree, compareBackends } from "./agree";
import { filterGradChunks } from "../../src/tfjs/webgpu/conv2d-filter-grad";

before(requireSwiftShader);

/** [x shape, filter shape, stride, pad] as YOLOv5n has them, at 32-64 px. */
const SHAPES: [[number, number, number, number], [number, number, number, number], number, "same" | "valid" | number][] = [
  [[2, 32, 32, 3], [6, 6, 3, 16], 2, 2], // model.0: Conv(3, 16, 6, 2, 2)
  [[2, 16, 16, 16], [3, 3, 16, 32], 2, 1], // model.1: Conv(16, 32, 3, 2)
  [[2, 8, 8, 32], [1, 1, 32, 16], 1, 0], // C3's cv1
  [[2, 8, 8, 16], [3, 3, 16, 16], 1, 1], // Bottleneck's cv2
  [[1, 4, 4, 64], [3, 3, 64, 128], 2, 1], // model.5: Conv(64, 128, 3, 2)
  [[2, 4, 4, 64], [1, 1, 64, 24], 1, 0], // Detect: 3 * (5 + nc 3) outputs
  [[1, 5, 7, 20], [3, 3, 20, 40], 2, "same"], // odd sizes, 'same' at stride 2 (padding on one side)
  [[1, 5, 7, 20], [4, 4, 20, 36], 1, "same"], // an even filter: 'same' pads one side more than the other
];

/** The names of the programs the webgpu backend runs while fn runs. */
function programsRun(fn: () => void): Set<string> {
  const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { constructor: { name: string } }, ...rest: unknown[]) => unknown };
  const run = backend.runWebGPUProgram;
  const names = new Set<string>();
  backend.runWebGPUProgram = function (this: unknown, p, ...rest) {
    names.add(p.constructor.name);
    return run.call(this, p, ...rest);
  };
  try {
    fn();
  } finally {
    backend.runWebGPUProgram = run;
  }
  return names;
}

test("the pixel axis is cut into chunks only where tiles alone leave the device idle", () => {
  assert.equal(filterGradChunks(16 * 320 * 320, 6 * 6 * 3, 16), 256, "YOLOv5n's first layer at batch 16, 640 px: 4 tiles");
  assert.equal(filterGradChunks(16 * 20 * 20, 3 * 3 * 256, 256), 2, "its deepest 3x3: 576 tiles");
  assert.equal(filterGradChunks(8, 27, 16), 1, "a handful of pixels: one chunk");
});

for (const [xShape, wShape, stride, pad] of SHAPES) {
  const name = `Conv2DBackpropFilter, x [${xShape}] filter [${wShape}] stride ${stride} pad ${pad}`;
  test(name, async (t) => {
    const x = randomArray(
      xShape.reduce((a, b) => a * b),
      31,
    );
    const w = randomArray(
      wShape.reduce((a, b) => a * b),
      32,
      0.3,
    );
    const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(a, f, stride, pad as "same");
    let programs = new Set<string>();
    const r = await compareBackends(() => {
      const input = tf.tensor4d(x, xShape),
        filter = tf.tensor4d(w, wShape);
      const y = conv(input, filter);
      const dy = tf.tensor4d(randomArray(y.size, 33), y.shape as [number, number, number, number]);
      let dw!: tf.Tensor;
      const ran = programsRun(() => {
        dw = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(conv(input, f as tf.Tensor4D), dy)))(filter);
      });
      if (tf.getBackend() === "webgpu") programs = ran;
      return { dw };
    });
    assert.ok(programs.has("FilterGradProgram") && !programs.has("Conv2DDerFilterProgram"), [...programs].join(", "));
    t.diagnostic(assertAgree(r, 1e-4));
  });
}

for (const [xShape, wShape, stride, pad] of SHAPES.slice(1)) {
  const name = `Conv2DBackpropInput, x [${xShape}] filter [${wShape}] stride ${stride} pad ${pad}`;
  test(name, async (t) => {
    const w = randomArray(
      wShape.reduce((a, b) => a * b),
      34,
      0.3,
    );
    const x = randomArray(
      xShape.reduce((a, b) => a * b),
      35,
    );
    const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(a, f, stride, pad as "same");
    let programs = new Set<string>();
    const r = await compareBackends(() => {
      const input = tf.tensor4d(x, xShape),
        filter = tf.tensor4d(w, wShape);
      const y = conv(input, filter);
      const dy = tf.tensor4d(randomArray(y.size, 36), y.shape as [number, number, number, number]);
      let dx!: tf.Tensor;
      const ran = programsRun(() => {
        dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, filter), dy)))(input);
      });
      if (tf.getBackend() === "webgpu") programs = ran;
      return { dx };
    });
    // Ours at stride 1; strided ones keep the stock program (conv2d-input-grad.ts says why).
    const [expected, other] = stride === 1 ? ["InputGradProgram", "Conv2DDerInputProgram"] : ["Conv2DDerInputProgram", "InputGradProgram"];
    assert.ok(programs.has(expected) && !programs.has(other), [...programs].join(", "));
    t.diagnostic(assertAgree(r, 1e-4));
  });
}
