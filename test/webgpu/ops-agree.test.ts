// The toolkit's ops on webgpu (SwiftShader) against wasm: SiLU, batchNormTrain, conv2d and
// their gradients, and YOLOv5's loss with its gradient with respect to the maps.
import { requireSwiftShader } from "./swiftshader";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as lab from "../../src/toolkit";
import { randomArray } from "../helpers/random-array";
import { SILU_GRAD_KERNEL } from "../../src/toolkit/ops/silu";
import { assertAgree, compareBackends } from "./agree";

before(requireSwiftShader);

/** float32 sums in a different order: a few ulps per term, well under this. */
const TOL = 1e-4;

test("silu and its gradient (our one-pass WGSL gradient on webgpu)", async (t) => {
  const x = randomArray(2 * 8 * 8 * 16, 1, 8);
  const r = await compareBackends(() => {
    const input = tf.tensor4d(x, [2, 8, 8, 16]);
    const dy = tf.tensor4d(randomArray(x.length, 2), [2, 8, 8, 16]);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => tf.sum(tf.mul(lab.silu(a), dy)))([input]);
    return { y: lab.silu(input), loss: value, dx: grads[0] };
  });
  assert.ok(tf.getKernel(SILU_GRAD_KERNEL, "webgpu"), "the fused gradient is registered for webgpu, so lab.silu used it there");
  t.diagnostic(assertAgree(r, TOL));
});

test("batchNormTrain: output, batch statistics and the three gradients", async (t) => {
  const shape: [number, number, number, number] = [2, 6, 6, 8];
  const x = randomArray(2 * 6 * 6 * 8, 3, 4, 1);
  const r = await compareBackends(() => {
    const input = tf.tensor4d(x, shape);
    const gamma = tf.tensor1d(randomArray(8, 4, 1, 1));
    const beta = tf.tensor1d(randomArray(8, 5));
    const dy = tf.tensor4d(randomArray(x.length, 6), shape);
    const out = lab.batchNormTrain(input, gamma, beta, 1e-3);
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(lab.batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y, dy)),
    )([input, gamma, beta]);
    return { y: out.y, mean: out.mean, variance: out.variance, dx: grads[0], dgamma: grads[1], dbeta: grads[2] };
  });
  t.diagnostic(assertAgree(r, TOL));
});

test("conv2d (3x3 stride 1 same, 3x3 stride 2) and its input and filter gradients", async (t) => {
  const x = randomArray(2 * 12 * 12 * 8, 7);
  for (const [stride, pad] of [
    [1, "same"],
    [2, "valid"],
  ] as const) {
    const r = await compareBackends(() => {
      const input = tf.tensor4d(x, [2, 12, 12, 8]);
      const filter = tf.tensor4d(randomArray(3 * 3 * 8 * 16, 8, 0.5), [3, 3, 8, 16]);
      const conv = (a: tf.Tensor, w: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      const y = conv(input, filter);
      const dy = tf.tensor4d(randomArray(y.size, 9), y.shape as [number, number, number, number]);
      const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(conv(a, w), dy)))([input, filter]);
      return { y, dx, dw };
    });
    t.diagnostic(`stride ${stride}: ${assertAgree(r, TOL)}`);
  }
});

test("YOLOv5's ComputeLoss: loss, its items and the gradient with respect to the three maps", async (t) => {
  const nc = 3,
    bs = 2,
    no = 5 + nc;
  const grids = [8, 4, 2]; // a 64x64 image at strides 8, 16, 32
  const maps = grids.map((g, i) => randomArray(bs * 3 * g * g * no, 10 + i, 2));
  // image, class, x, y, w, h (normalised), as train.py's targets.
  const targets = [
    [0, 1, 0.5, 0.5, 0.3, 0.4],
    [0, 2, 0.2, 0.3, 0.1, 0.15],
    [1, 0, 0.7, 0.6, 0.5, 0.35],
    [1, 1, 0.4, 0.8, 0.2, 0.2],
  ];
  const hyp = { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 };
  const r = await compareBackends(() => {
    const preds = maps.map((m, i) => tf.tensor(m, [bs, 3, grids[i], grids[i], no]));
    const criterion = new lab.ComputeLoss({ nc, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES, hyp });
    let items: tf.Tensor | undefined;
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const out = criterion.call(ps, targets);
      items = out.items;
      return out.loss;
    })(preds);
    return { loss: value, items: items!, dP3: grads[0], dP4: grads[1], dP5: grads[2] };
  });
  t.diagnostic(assertAgree(r, TOL));
});

test("pad of a 5-D tensor (the gradient of a slice of YOLOv5's maps) on two axes", async (t) => {
  const x = randomArray(2 * 3 * 4 * 4 * 8, 13);
  const r = await compareBackends(() => {
    const input = tf.tensor(x, [2, 3, 4, 4, 8]);
    const padded = tf.pad(
      input,
      [
        [0, 0],
        [1, 0],
        [0, 0],
        [0, 0],
        [2, 3],
      ],
      0.5,
    );
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.slice(a, [0, 0, 0, 0, 4], [2, 3, 4, 4, 1]))))(input);
    return { padded, dx };
  });
  t.diagnostic(assertAgree(r, TOL));
});

test("binary ops between a 5-D map and a short vector over its last axis (YOLOv5's maps times a vector)", async (t) => {
  const x = randomArray(2 * 3 * 4 * 4 * 8, 14);
  const v = randomArray(8, 15, 1, 1);
  const r = await compareBackends(() => {
    const map = tf.tensor(x, [2, 3, 4, 4, 8]);
    const vector = tf.tensor1d(v);
    const column = tf.tensor(x.slice(0, 2 * 3 * 4 * 4), [2, 3, 4, 4, 1]);
    const [dMap, dVector] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.mul(a, b))))([map, vector]);
    return {
      mul: tf.mul(map, vector),
      sub: tf.sub(vector, map),
      div: tf.div(map, vector),
      broadcastBoth: tf.add(column, vector),
      greater: tf.cast(tf.greater(map, vector), "float32"),
      dMap,
      dVector,
    };
  });
  t.diagnostic(assertAgree(r, TOL));
});
