// One YOLOv5n training step on webgpu (SwiftShader) against wasm: batch 2 at 64x64, nc 3,
// ComputeLoss and the gradient of every parameter.
import { requireSwiftShader } from "./swiftshader";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as lab from "../../src/toolkit";
import { randomArray } from "../helpers/random-array";
import { compareBackends } from "./agree";

before(requireSwiftShader);

test("YOLOv5n: loss, loss items and all parameter gradients agree with wasm", async (t) => {
  await lab.switchBackend("wasm"); // the weights are made on wasm and move to webgpu when used there
  const model = lab.yolov5({ scale: "n", nc: 3 }).train();
  const named = model.namedParameters();
  const params = named.map(([, p]) => p);
  const images = randomArray(2 * 64 * 64 * 3, 21, 1, 0.5);
  const targets = [
    [0, 1, 0.5, 0.5, 0.3, 0.4],
    [0, 2, 0.25, 0.3, 0.1, 0.15],
    [1, 0, 0.7, 0.6, 0.5, 0.35],
  ];
  const hyp = { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 };
  const criterion = new lab.ComputeLoss({ nc: 3, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES, hyp });
  const started = performance.now();
  const r = await compareBackends(() => {
    const x = tf.tensor4d(images, [2, 64, 64, 3]);
    let items: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = criterion.call(model.forward(x) as tf.Tensor[], targets);
      items = out.items;
      return out.loss;
    }, params);
    x.dispose();
    const outputs: Record<string, tf.Tensor> = { loss: value, items: items! };
    for (const [name, p] of named) outputs[name] = grads[p.name];
    return outputs;
  });
  // Gradients through 20-odd layers of batch norm and SiLU: a few 1e-4 of each tensor's largest value.
  let worstGrad = 0,
    worstName = "";
  for (const [name, c] of Object.entries(r)) {
    assert.ok(c.webgpu.every(Number.isFinite), `${name}: non-finite on webgpu`);
    const rel = c.worst / Math.max(c.scale, 1e-12);
    if (name === "loss" || name === "items") {
      assert.ok(rel <= 1e-4, `${name}: relative difference ${rel} (wasm ${c.wasm}, webgpu ${c.webgpu})`);
    } else if (rel > worstGrad) {
      worstGrad = rel;
      worstName = name;
    }
  }
  assert.ok(worstGrad <= 2e-3, `worst gradient ${worstName}: ${worstGrad} of its largest value`);
  t.diagnostic(
    `loss ${r.loss.wasm[0].toFixed(5)} (wasm) vs ${r.loss.webgpu[0].toFixed(5)} (webgpu); ${params.length} gradients, ` +
      `worst ${worstName} ${worstGrad.toExponential(1)}; both backends ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  model.dispose();
});
