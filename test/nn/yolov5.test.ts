// YOLOv5 v7.0 detectors against the original's figures (shared CASES.md case 3):
// parameter counts, output shapes per mode, the neck error for 400x640, check_img_size.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { yolov5, checkImgSize, makeDivisible, type YOLOv5 } from "../../src/toolkit/nn";

let model: YOLOv5;
before(async () => {
  await switchBackend("wasm");
  model = yolov5({ scale: "n", nc: 80 });
});

function shapes(out: unknown): unknown {
  return Array.isArray(out) ? out.map(shapes) : (out as tf.Tensor).shape;
}
/** Shapes of what `forward` returns; the tensors are freed. */
function outShapes(forward: () => unknown): unknown {
  const out = forward();
  const s = shapes(out);
  tf.dispose(out as tf.TensorContainer);
  return s;
}

test("trainable parameter counts equal PyTorch's", () => {
  assert.equal(model.numParams(), 1_872_157);
  for (const [scale, nc, expected] of [
    ["s", 80, 7_235_389],
    ["n", 3, 1_767_976],
  ] as const) {
    const m = yolov5({ scale, nc });
    assert.equal(m.numParams(), expected, `yolov5${scale} nc=${nc}`);
    m.dispose();
  }
});

test("layers are named as in the PyTorch state_dict", () => {
  const names = model.namedParameters().map(([n]) => n);
  assert.equal(names[0], "model.0.conv.weight");
  assert.ok(names.includes("model.24.m.2.bias"));
  assert.deepEqual(
    model
      .namedBuffers()
      .slice(0, 2)
      .map(([n]) => n),
    ["model.0.bn.running_mean", "model.0.bn.running_var"],
  );
  assert.deepEqual(
    model
      .layers()
      .filter((l) => l.depth === 2)
      .map((l) => l.type)
      .slice(0, 10),
    ["Conv", "Conv", "C3", "Conv", "C3", "Conv", "C3", "Conv", "C3", "SPPF"],
  );
});

test("640x640: train gives three maps, eval decoded plus maps, export decoded only", () => {
  const x = tf.zeros([1, 640, 640, 3]);
  const maps = [
    [1, 3, 80, 80, 85],
    [1, 3, 40, 40, 85],
    [1, 3, 20, 20, 85],
  ];
  const train = outShapes(() => model.train().forward(x as tf.Tensor4D));
  assert.deepEqual(train, maps);
  const evalOut = outShapes(() => model.eval().forward(x as tf.Tensor4D));
  assert.deepEqual(evalOut, [[1, 25200, 85], maps]);
  const exported = outShapes(() => model.export().forward(x as tf.Tensor4D));
  assert.deepEqual(exported, [[1, 25200, 85]]);
  // train() and eval() leave export mode.
  model.export().eval();
  assert.equal(model.detect.exportMode, false);
  x.dispose();
});

test("384x640 (issue #12479): [1,3,48,80,no] ... and [1,15120,no]", () => {
  const m = yolov5({ scale: "n", nc: 128 }).eval();
  const x = tf.zeros([1, 384, 640, 3]) as tf.Tensor4D;
  const out = outShapes(() => m.forward(x));
  x.dispose();
  assert.deepEqual(out, [
    [1, 15120, 133],
    [
      [1, 3, 48, 80, 133],
      [1, 3, 24, 40, 133],
      [1, 3, 12, 20, 133],
    ],
  ]);
  m.dispose();
});

test("400x640 fails in the neck concat with PyTorch's RuntimeError", () => {
  const before = tf.memory().numTensors;
  assert.throws(() => tf.tidy(() => model.eval().forward(tf.zeros([1, 400, 640, 3]))), {
    name: "RuntimeError",
    message: "Sizes of tensors must match except in dimension 1. Expected size 26 but got size 25 for tensor number 1 in the list.",
  });
  assert.equal(tf.memory().numTensors, before);
});

test("a wrong number of input channels fails with PyTorch's conv2d RuntimeError", () => {
  assert.throws(() => tf.tidy(() => model.forward(tf.zeros([1, 64, 64, 4]))), {
    name: "RuntimeError",
    message: "Given groups=1, weight of size [16, 3, 6, 6], expected input[1, 4, 64, 64] to have 3 channels, but got 4 channels instead",
  });
});

test("check_img_size rounds up to the stride and warns in YOLOv5's words", () => {
  assert.equal(makeDivisible(400, 32), 416);
  assert.equal(makeDivisible(0.25 * 1024, 8), 256);
  assert.deepEqual(checkImgSize(640), { size: 640 });
  assert.deepEqual(checkImgSize(400), {
    size: 416,
    warning: "WARNING ⚠️ --img-size 400 must be multiple of max stride 32, updating to 416",
  });
  assert.deepEqual(checkImgSize([400, 640]), {
    size: [416, 640],
    warning: "WARNING ⚠️ --img-size [400, 640] must be multiple of max stride 32, updating to [416, 640]",
  });
});

test("Detect biases start at YOLOv5's priors", () => {
  const detect = model.detect;
  const conv = detect.m.items[0];
  const bias = conv.bias!.arraySync() as number[];
  // Initial U(+-1/sqrt(fan_in)) plus log(8/(640/8)^2) on objectness, log(0.6/(80-0.99)) on classes.
  const bound = 1 / Math.sqrt(conv.inChannels);
  const obj = Math.log(8 / 80 ** 2),
    cls = Math.log(0.6 / 79.01);
  for (let a = 0; a < 3; a++) {
    assert.ok(Math.abs(bias[a * 85 + 4] - obj) <= bound + 1e-6);
    assert.ok(Math.abs(bias[a * 85 + 5] - cls) <= bound + 1e-6);
    assert.ok(Math.abs(bias[a * 85]) <= bound + 1e-6);
  }
});

test("forward gives memory back as PyTorch does: only what it returns stays alive, and gradients still flow", () => {
  const x = tf.zeros([2, 64, 64, 3]);
  for (const mode of ["train", "eval"] as const) {
    mode === "train" ? model.train() : model.eval();
    const before = tf.memory().numTensors;
    const out = model.forward(x as tf.Tensor4D);
    const returned = tf.tensor_util.getTensorsInContainer(out as tf.TensorContainer).length;
    assert.equal(
      tf.memory().numTensors - before,
      returned,
      `${mode}: ${tf.memory().numTensors - before} tensors alive, ${returned} returned`,
    );
    tf.dispose(out as tf.TensorContainer);
  }
  model.train();
  const params = model.parameters();
  const { grads } = tf.variableGrads(
    () => tf.addN((model.forward(x as tf.Tensor4D) as tf.Tensor[]).map((m) => tf.mean(tf.square(m)))) as tf.Scalar,
    params,
  );
  assert.equal(Object.keys(grads).length, params.length, "every parameter has a gradient");
  assert.ok(
    Object.values(grads).some((g) => tf.any(tf.notEqual(g, 0)).dataSync()[0] === 1),
    "the gradients are not all zero",
  );
  tf.dispose([x, ...Object.values(grads)]);
});
