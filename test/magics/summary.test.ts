// %summary through the engine: torchinfo's layout and totals for toolkit models and tfjs
// LayersModels; YOLOv5s reports YOLOv5's 7,235,389 parameters.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { cellRunner } from "./run-cell";

const cells = cellRunner();
after(() => cells.engine.shutdown());

test("%summary of yolov5s: torchinfo's tree and totals, 7,235,389 params", async () => {
  const made = await cells.run(`const model = lab.yolov5({ scale: "s", nc: 80 }); model.train();`);
  assert.equal(made.status, "ok", made.evalue);
  const r = await cells.run("%summary model [1,64,64,3]");
  assert.equal(r.status, "ok", r.evalue);
  const text = r.text.split("\n");
  const divider = "=".repeat(100);
  assert.equal(text[0], divider);
  assert.match(text[1], /^Layer \(type:depth-idx\)\s+Output Shape\s+Param #$/);
  assert.match(text[3], /^YOLOv5\s+\[1, 252, 85\]\s+--$/, "eval-mode decoded output: 3 anchors x (8x8 + 4x4 + 2x2) rows of 85");
  assert.match(text[4], /^├─ModuleList: 1-1\s+--\s+--$/);
  assert.match(text[5], /^│ {4}└─Conv: 2-1\s+\[1, 32, 32, 32\]\s+--$/);
  assert.match(text[6], /^│ {4}│ {4}└─Conv2d: 3-1\s+\[1, 32, 32, 32\]\s+3,456$/);
  assert.match(text[7], /^│ {4}│ {4}└─BatchNorm2d: 3-2\s+\[1, 32, 32, 32\]\s+64$/);
  // SiLU runs inside the batch norm's op in training, through its module in eval mode: listed.
  assert.match(text[8], /^│ {4}│ {4}└─SiLU: 3-3\s+\[1, 32, 32, 32\]\s+--$/);
  assert.ok(text.includes("Total params: 7,235,389"));
  assert.ok(text.includes("Trainable params: 7,235,389"));
  assert.ok(text.includes("Non-trainable params: 0"));
  assert.ok(text.includes("Params size (MB): 28.94"), "7,235,389 x 4 bytes");
  assert.ok(text.includes("Input size (MB): 0.05"), "64*64*3*4 bytes");
  const macs = /^Total mult-adds \(M\): ([\d.]+)$/m.exec(r.text);
  assert.ok(macs && Number(macs[1]) > 10 && Number(macs[1]) < 200, r.text);
  const fb = Number(/^Forward\/backward pass size \(MB\): ([\d.]+)$/m.exec(r.text)![1]);
  const total = Number(/^Estimated Total Size \(MB\): ([\d.]+)$/m.exec(r.text)![1]);
  assert.ok(Math.abs(total - (0.05 + fb + 28.94)) < 0.02);
  // The same rows as an arquero table (text and HTML).
  assert.match(r.displayText, /Layer \(type:depth-idx\)\s+module\s+Output Shape\s+Param #\s+Mult-Adds/);
  assert.match(r.displayText, /Conv2d: 3-1\s+model\.0\.conv\s+\[1, 32, 32, 32\]\s+3,456\s+3,538,944/, "3,456 weights x 32x32 positions");
  assert.match(r.html, /<table/);
  // The forward pass ran in eval mode and put everything back.
  const after = await cells.run("[model.training, Object.prototype.hasOwnProperty.call(model, 'forward')]");
  assert.equal(after.sink.result(), "[ true, false ]");
});

test("%summary of the small CNN lists each ConvBNLayer's ReLU, which training fuses into the batch norm", async () => {
  const made = await cells.run(`const cnn = lab.smallCnn({ nc: 5, channels: [8, 16] }); cnn.train();`);
  assert.equal(made.status, "ok", made.evalue);
  const r = await cells.run("%summary cnn [1,32,32,3]");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.text, /└─BatchNorm2d: 3-2\s+\[1, 32, 32, 8\]\s+16\n.*└─ReLU: 3-3\s+\[1, 32, 32, 8\]\s+--\n/);
  assert.match(r.text, /└─ReLU: 3-6\s+\[1, 16, 16, 16\]\s+--/);
});

test("%summary without an input shape lists parameters only; --depth limits the tree", async () => {
  const r = await cells.run("%summary model --depth 1");
  assert.equal(r.status, "ok", r.evalue);
  assert.ok(r.text.includes("Total params: 7,235,389"));
  assert.ok(!/mult-adds/.test(r.text));
  assert.match(r.text, /^├─ModuleList: 1-1\s+--\s+7,235,389$/m, "at max depth a row shows all its parameters");
  assert.ok(!/Conv: 2-1/.test(r.text));
});

test("%summary of a tfjs LayersModel: Keras layers, trainable and non-trainable params", async () => {
  const made = await cells.run(`const seq = tf.sequential({ layers: [
  tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }),
  tf.layers.batchNormalization(),
  tf.layers.flatten(),
  tf.layers.dense({ units: 10 }),
] });`);
  assert.equal(made.status, "ok", made.evalue);
  const r = await cells.run("%summary seq [2,8,8,3]");
  assert.equal(r.status, "ok", r.evalue);
  assert.match(r.text, /^├─Conv2D: 1-1\s+\[2, 6, 6, 4\]\s+112$/m);
  assert.match(r.text, /^├─BatchNormalization: 1-2\s+\[2, 6, 6, 4\]\s+16$/m);
  assert.match(r.text, /^├─Dense: 1-4\s+\[2, 10\]\s+1,450$/m);
  assert.ok(r.text.includes("Total params: 1,578"));
  assert.ok(r.text.includes("Trainable params: 1,570"));
  assert.ok(r.text.includes("Non-trainable params: 8"), "moving mean and variance");
  assert.ok(r.text.includes("Input size (MB): 0.00"));
});

test("%summary: bad arguments are UsageErrors", async () => {
  for (const [code, pattern] of [
    ["%summary", /name the model/],
    ["%summary nosuch", /no variable named 'nosuch'/],
    ["%summary model [1,64,x,3]", /input shape must be positive integers/],
    ["%summary model [0,64,64,3]", /input shape must be positive integers/],
    ["%summary model --depth=-1", /--depth must be a whole number/],
  ] as const) {
    const r = await cells.run(code);
    assert.equal(r.ename, "UsageError", code);
    assert.match(r.evalue!, pattern, code);
    assert.match(r.evalue!, /Usage: %summary MODEL/, code);
  }
  await cells.run("const notAModel = 3;");
  const r = await cells.run("%summary notAModel");
  assert.match(r.evalue!, /'notAModel' is not a model/);
  const help = await cells.run("%summary?");
  assert.match(help.text, /^Usage: %summary MODEL \[INPUT_SHAPE\]/);
});
