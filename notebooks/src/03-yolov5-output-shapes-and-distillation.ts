// title: YOLOv5 output shapes and knowledge distillation
// expected-error: RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 26 but got size 25 for tensor number 1 in the list.
// expected-error: RuntimeError: The size of tensor a (25200) must match the size of tensor b (15120) at non-singleton dimension 1
// %% [markdown]
// # YOLOv5's output shapes, and distilling one detector into another
//
// **What users saw.** In ultralytics/yolov5 #12479 a user converted a model and got outputs
// `[1, 15120, 133]` and `[1, 3, 48, 80, 133]` where they expected the `25200` rows everybody
// quotes. In #13008 a user wanted to distil a large YOLOv5 into a small one and did not know
// which of the model's outputs to compare, how to line them up, or which activation to use.
//
// Both questions have the same answer: know what `Detect` returns. This notebook
// 1. builds the real layouts and prints their outputs in train, eval and export mode,
// 2. explains `25200` and `15120` (and why `133` means 128 classes),
// 3. reproduces the neck error a 400×640 input raises, and the stride-multiple fix,
// 4. shows distillation done wrong (mismatched rows; softmax) and done right, with a
//    student YOLOv5n learning from a teacher until its loss has fallen.
//
// Everything runs on the notebook's backend (TensorFlow.js, wasm on a CPU machine):
// 640×640 passes take a second or two, so they are few and use batch 1.
// %%
%backend
// %% [markdown]
// ## 1. The two models
// `lab.yolov5` builds the v7.0 layout (`yolov5s.yaml` scaled by depth and width). With the
// COCO head (`nc = 80`) the parameter counts must be those of the released checkpoints:
// yolov5s 7,235,389 and yolov5n 1,872,157. `%summary` with an input shape runs one 640×640
// pass and lists every layer's output (NHWC here; PyTorch prints NCHW): the backbone goes
// down to 20×20 at stride 32, and `Detect` (model.24) returns the decoded `[1, 25200, 85]`.
// %%
const yolov5s = lab.yolov5({ scale: "s", nc: 80 });
const yolov5n = lab.yolov5({ scale: "n", nc: 80 });
%summary yolov5s [1,640,640,3] --depth 2
// %%
for (const [name, m] of [["yolov5s", yolov5s], ["yolov5n", yolov5n]] as const) {
  console.log(`${name}: ${m.numParams().toLocaleString("en-US")} parameters, as the released checkpoint`);
}
// %% [markdown]
// ## 2. Train, eval and export outputs
// `Detect` ends each level with a 1×1 convolution to `na · no` channels (`na = 3` anchors,
// `no = nc + 5`: box x, y, w, h, objectness, then one score per class) and reshapes it to
// `[bs, 3, ny, nx, no]`. What `forward` returns depends on the mode:
// - **train**: the three raw maps, strides 8, 16 and 32;
// - **eval**: `(decoded, maps)`, where `decoded` is every anchor of every cell decoded to pixels,
//   `[bs, 3·ny·nx summed over levels, no]`;
// - **export** (`Detect.export = True`, what a converted model keeps): `(decoded,)` only.
//
// A model with 128 classes reproduces the numbers of #12479 (`no = 128 + 5 = 133`).
// %%
const model = lab.yolov5({ scale: "n", nc: 128 });
const x640 = tf.randomUniform([1, 640, 640, 3]) as tf.Tensor4D;
const x384 = tf.randomUniform([1, 384, 640, 3]) as tf.Tensor4D;
model.train();
const trainMaps = model.forward(x640) as tf.Tensor[];
model.eval();
const [decoded640, evalMaps640] = model.forward(x640) as [tf.Tensor, tf.Tensor[]];
model.export();
const [exported384] = model.forward(x384) as [tf.Tensor];
model.eval();
const [, evalMaps384] = model.forward(x384) as [tf.Tensor, tf.Tensor[]];
%shapes trainMaps decoded640 exported384 evalMaps384
// %% [markdown]
// Where the row counts come from: each level has `ny × nx` cells (the input divided by the
// stride) and 3 anchors per cell.
// %%
const rowsAt = (h: number, w: number) => [8, 16, 32].map((s) => 3 * (h / s) * (w / s));
const levels = aq.table({
  level: ["P3", "P4", "P5"],
  stride: [8, 16, 32],
  "grid 640×640": [8, 16, 32].map((s) => `${640 / s}×${640 / s}`),
  "rows 640×640": rowsAt(640, 640),
  "grid 384×640": [8, 16, 32].map((s) => `${384 / s}×${640 / s}`),
  "rows 384×640": rowsAt(384, 640),
});
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
console.log(`640×640: ${rowsAt(640, 640).join(" + ")} = ${sum(rowsAt(640, 640))} rows`);
console.log(`384×640: ${rowsAt(384, 640).join(" + ")} = ${sum(rowsAt(384, 640))} rows`);
levels
// %% [markdown]
// The proof that these are the shapes the model produced, and that the decoded rows are the
// flattened raw maps in order (`cat([x.view(bs, -1, no) for x in maps], 1)`) decoded cell by
// cell: the same 25200 rows, one per anchor.
// %%
import assert from "node:assert/strict";
const checks: [string, number[], number[]][] = [
  ["train P3", trainMaps[0].shape, [1, 3, 80, 80, 133]],
  ["train P4", trainMaps[1].shape, [1, 3, 40, 40, 133]],
  ["train P5", trainMaps[2].shape, [1, 3, 20, 20, 133]],
  ["eval decoded 640×640", decoded640.shape, [1, 25200, 133]],
  ["export 384×640", exported384.shape, [1, 15120, 133]],
  ["eval P3 384×640", evalMaps384[0].shape, [1, 3, 48, 80, 133]],
  ["flattened eval maps", lab.flattenDetectorMaps(evalMaps640).shape, [1, 25200, 133]],
];
for (const [what, got, want] of checks) assert.deepEqual(got, want, what);
const nc = decoded640.shape[2] - 5;
const redecoded = lab.detectDecode(evalMaps640);
const decodeGap = tf.max(tf.abs(tf.sub(redecoded, decoded640))).dataSync()[0];
console.log(`all ${checks.length} shapes as documented; no = ${decoded640.shape[2]} -> nc = ${nc}; decoded == decode(flattened maps) (max diff ${decodeGap})`);
tf.dispose([redecoded, trainMaps, evalMaps640, decoded640, exported384, evalMaps384, x640, x384]);
// %% [markdown]
// ## 3. An input that is not a multiple of 32 breaks the neck
// Every stride-2 convolution rounds **up** (`k = 3, p = 1`: `ceil(n / 2)`), so a 400-pixel side
// becomes 200, 100, 50, 25 and then 13 at stride 32. The head upsamples that 13 by two, to 26,
// and concatenates it with the stride-16 backbone map, which is 25. PyTorch's `torch.cat`
// refuses, and so does the toolkit's `Concat`, with the same words (sizes in NCHW order:
// dimension 2 is the height):
// %% tags=["raises-exception"]
const x400 = tf.zeros([1, 400, 640, 3]) as tf.Tensor4D;
tf.tidy(() => model.forward(x400));
// %% [markdown]
// **Diagnosis.** Run the layers by hand up to the failing `Concat` (layer 12 takes layer 11,
// the upsampled P5, and layer 6, the P4 backbone output) and print every output shape:
// %%
const traced: { layer: number; type: string; "output (NHWC)": string }[] = [];
const outputs: tf.Tensor[] = [];
tf.tidy(() => {
  let y: tf.Tensor = x400;
  model.model.items.slice(0, 12).forEach((layer, i) => {
    y = layer.forward(y as tf.Tensor4D) as tf.Tensor;
    outputs.push(tf.keep(y));
    traced.push({ layer: i, type: layer.constructor.name, "output (NHWC)": `[${y.shape.join(", ")}]` });
  });
});
const [p4, upsampledP5] = [outputs[6], outputs[11]];
console.log(`layer 12 concatenates layer 11 ${JSON.stringify(upsampledP5.shape)} with layer 6 ${JSON.stringify(p4.shape)}: heights ${upsampledP5.shape[1]} and ${p4.shape[1]}`);
tf.dispose(outputs);
aq.from(traced)
// %% [markdown]
// **The fix.** YOLOv5 never feeds such a size: `check_img_size` rounds each side up to a
// multiple of the largest stride (`make_divisible(x, 32) = ceil(x / 32) · 32`) and warns, and
// `letterbox(auto=True, stride=32)` pads an image only up to that multiple. A 640×400 photo
// becomes 640×416 with 8 grey rows above and below, which the model accepts.
// %%
const checked = lab.checkImgSize([400, 640]);
console.log(checked.warning);
const photo: lab.RgbImage = { width: 640, height: 400, data: new Uint8Array(640 * 400 * 3) };
for (let i = 0; i < photo.data.length; i += 3) {
  const px = i / 3, x = px % 640, y = Math.floor(px / 640);
  photo.data[i] = (x * 255) / 639; photo.data[i + 1] = (y * 255) / 399; photo.data[i + 2] = 128;
}
const boxed = await lab.letterbox(photo, 640, { auto: true, stride: 32 });
console.log(`letterbox: ${photo.width}×${photo.height} -> ${boxed.image.width}×${boxed.image.height}, padding (dw, dh) = (${boxed.pad})`);
const x416 = tf.tidy(() => tf.expandDims(tf.div(tf.tensor3d(boxed.image.data, [boxed.image.height, boxed.image.width, 3], "float32"), 255))) as tf.Tensor4D;
model.export();
const [decoded416] = model.forward(x416) as [tf.Tensor];
console.log(`forward at [${x416.shape}] -> [${decoded416.shape}]`);
const decoded416Rows = decoded416.shape[1];
tf.dispose([x400, x416, decoded416]);
model.dispose();
await lab.imageGrid([boxed.image], undefined, { titles: ["letterboxed 640×416"], maxSize: 320 })
// %% [markdown]
// ## 4. Distillation done wrong
// ### 4a. Rows that do not line up
// In #13008 the teacher and the student must produce outputs with the same rows. Here the
// student trains at 640×640 while the teacher is the model exported at 384×640 from #12479.
// Flattened, the student has 25200 rows and the teacher 15120, and the loss (elementwise
// between the two, as in PyTorch) cannot broadcast them:
// %%
yolov5n.train();
const studentMaps = yolov5n.forward(tf.randomUniform([1, 640, 640, 3]) as tf.Tensor4D) as tf.Tensor[];
yolov5s.eval();
const teacherMaps = (yolov5s.forward(tf.randomUniform([1, 384, 640, 3]) as tf.Tensor4D) as [tf.Tensor, tf.Tensor[]])[1];
%shapes studentMaps teacherMaps
// %% tags=["raises-exception"]
lab.distillationLoss(studentMaps, teacherMaps, { activation: "sigmoid", kind: "kl" });
// %% [markdown]
// The fix is not to reshape one to the other: row *i* must be the same anchor of the same
// cell for both models, so **both see the same images at the same size**.
//
// ### 4b. Softmax over the outputs
// YOLOv5's objectness and class scores are independent sigmoids: an anchor can be 90% "object"
// and score 0.9 for two overlapping classes at once. A softmax over the last axis turns each
// row into one distribution, coupling box, objectness and classes. Worse, softmax is blind to
// a constant added to a row, so a student whose logits are all 4 higher than the teacher's
// (which raises every objectness and class probability) has a softmax loss of zero, while the
// sigmoid loss sees the difference:
// %%
const shifted = teacherMaps.map((m) => tf.add(m, 4));
const softmaxKl = lab.distillationLoss(shifted, teacherMaps, { activation: "softmax", kind: "kl" }).dataSync()[0];
const sigmoidKl = lab.distillationLoss(shifted, teacherMaps, { activation: "sigmoid", kind: "kl" }).dataSync()[0];
const objectness = (maps: tf.Tensor[]) => tf.tidy(() => tf.mean(tf.sigmoid(tf.slice(lab.flattenDetectorMaps(maps), [0, 0, 4], [-1, -1, 1]))).dataSync()[0]);
console.log(`mean objectness: teacher ${objectness(teacherMaps).toFixed(4)}, shifted student ${objectness(shifted).toFixed(4)}`);
console.log(`softmax KL = ${softmaxKl.toExponential(2)}   sigmoid KL = ${sigmoidKl.toFixed(4)}`);
assert.ok(softmaxKl < 1e-4 && sigmoidKl > 0.1, "softmax misses the shift, sigmoid sees it");
tf.dispose([shifted, studentMaps, teacherMaps]);
yolov5s.dispose();
yolov5n.dispose();
// %% [markdown]
// ## 5. Distillation done right
// The answer in #13008: run the teacher in **eval** mode (fixed, no gradients) and the student
// in **train** mode on the **same batch**, take the raw maps of both, flatten them with
// `cat([x.view(bs, -1, no) for x in maps], 1)`, apply a **sigmoid** per element and compare with
// BCE or KL. `lab.distillationLoss(student, teacher, { activation: "sigmoid", kind: "kl" })`
// does exactly that (KL is BCE minus the teacher's own entropy, so same gradients, but it
// reaches 0 when the student matches).
//
// Data: a small synthetic YOLO set (64×64 images, 3 classes). Teacher: a YOLOv5s with its own
// seeded weights. No trained checkpoint can be downloaded here, so it stands in for one: it
// is a fixed detector with the real output layout, which is all the distillation mechanics
// need. Student: a fresh YOLOv5n, same `nc`, so every row and column lines up.
// %%
const os = require("node:os") as typeof import("node:os");
const path = require("node:path") as typeof import("node:path");
const root = path.join(os.tmpdir(), "tfjs-lab-nb03");
const info = await lab.generateDetectionDataset(root, { seed: 3, imgSize: 64, train: 48, val: 8, nc: 3 });
const trainSet = await lab.YoloDataset.open(info.dataYaml, { imgSize: 64, cache: true });
const valSet = await lab.YoloDataset.open(info.dataYaml, { imgSize: 64, split: "val" });
const loader = new lab.DataLoader(trainSet, { batchSize: 8, shuffle: true, seed: 0 });
const valBatch = (await new lab.DataLoader(valSet, { batchSize: 8 })[Symbol.asyncIterator]().next()).value!;
lab.manualSeed(1);
const teacher = lab.yolov5({ scale: "s", nc: 3 }).eval();
lab.manualSeed(2);
const student = lab.yolov5({ scale: "n", nc: 3 });
// How far the student's probabilities are from the teacher's on held-out images (both in eval mode).
function studentGap(): number {
  return tf.tidy(() => {
    student.eval();
    const s = lab.flattenDetectorMaps((student.forward(valBatch.images) as [tf.Tensor, tf.Tensor[]])[1]);
    const t = lab.flattenDetectorMaps((teacher.forward(valBatch.images) as [tf.Tensor, tf.Tensor[]])[1]);
    student.train();
    return tf.mean(tf.abs(tf.sub(tf.sigmoid(s), tf.sigmoid(t)))).dataSync()[0];
  });
}
const gapBefore = studentGap();
console.log(`${info.images.train} training images, ${info.objects.total} objects; teacher ${teacher.numParams().toLocaleString("en-US")} params, student ${student.numParams().toLocaleString("en-US")}`);
console.log(`mean |σ(student) − σ(teacher)| on held-out images before distillation: ${gapBefore.toFixed(5)}`);
// %% [markdown]
// The loop, written out as in the answer (the chart below is redrawn in place after every step):
// %%
const optimizer = tf.train.adam(0.002);
const epochs = 4;
const losses: number[] = [], xs: number[] = [];
const chart = () => figure(
  [{ x: xs, y: losses, type: "scatter", mode: "lines+markers", name: "distillation loss (sigmoid KL)" }],
  { title: "Student YOLOv5n distilled from a YOLOv5s teacher", xaxis: { title: "epoch" }, yaxis: { title: "loss", type: "log" }, height: 320 },
);
display(chart(), { displayId: "distill-chart" });
const t0 = Date.now();
for (let epoch = 0; epoch < epochs; epoch++) {
  const batches = loader.iterate();
  for (let b = 0, next = await batches.next(); !next.done; next = await batches.next()) {
    const batch = next.value;
    const teacherOut = tf.tidy(() => (teacher.forward(batch.images) as [tf.Tensor, tf.Tensor[]])[1]);
    const loss = optimizer.minimize(() => {
      const studentOut = student.forward(batch.images) as tf.Tensor[];
      return lab.distillationLoss(studentOut, teacherOut, { activation: "sigmoid", kind: "kl" }) as tf.Scalar;
    }, true, student.parameters())!;
    losses.push(loss.dataSync()[0]);
    xs.push(epoch + ++b / loader.length);
    tf.dispose([loss, teacherOut, batch.images, batch.targets]);
    display(chart(), { displayId: "distill-chart", update: true });
  }
}
console.log(`${losses.length} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; loss ${losses[0].toFixed(5)} -> ${losses[losses.length - 1].toFixed(5)}`);
// %% [markdown]
// **Proof.** The distillation loss fell, and on images the student never trained on its
// probabilities moved towards the teacher's. (The held-out gap falls less than the training
// loss: there the student runs in eval mode, on BatchNorm running statistics that a few dozen
// steps with momentum 0.03 have only partly adapted.)
// %%
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const firstLoss = mean(losses.slice(0, 3)), lastLoss = mean(losses.slice(-3));
const gapAfter = studentGap();
console.log(`loss, mean of first 3 steps ${firstLoss.toFixed(5)}, of last 3 ${lastLoss.toFixed(5)} (${((1 - lastLoss / firstLoss) * 100).toFixed(0)}% lower)`);
console.log(`held-out gap ${gapBefore.toFixed(5)} -> ${gapAfter.toFixed(5)}`);
assert.ok(gapAfter < gapBefore, "on held-out images the student moved towards the teacher");
tf.dispose([valBatch.images, valBatch.targets]);
optimizer.dispose();
// %% [markdown]
// ## Summary
// - `Detect` returns `[bs, 3, ny, nx, nc + 5]` per level in training, `(decoded, maps)` in eval
//   and `(decoded,)` when exported; decoded has `3 · Σ ny·nx` rows: 25200 at 640×640, 15120 at
//   384×640. `133` columns means 128 classes.
// - Sides must be multiples of 32; otherwise the neck's `Concat` fails (26 vs 25 at 400 px).
//   `check_img_size` rounds the size up and `letterbox(auto=True)` pads to it.
// - Distil raw maps of both models on the same images, flattened so rows line up, with a
//   sigmoid per element (BCE or KL), never a softmax over the row.
