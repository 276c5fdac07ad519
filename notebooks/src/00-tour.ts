// title: The tfjs-lab kernel in ten minutes
// expected-error: UsageError: Line magic `%timit` not found. %lsmagic lists the magics.
// %% [markdown]
// # The tfjs-lab kernel in ten minutes
// A TypeScript Jupyter kernel with TensorFlow.js and a small deep-learning toolkit preloaded,
// plus IPython-style magics for the questions training raises: *what shape is this?*,
// *where did the memory go?*, *is the loss falling?* The other notebooks use all of this to
// reproduce five real training failures; this one shows the pieces, one cell each.
//
// ## Preloaded names
// Every cell is TypeScript (type-checked, top-level `await` allowed) and sees, without imports:
// `tf` (TensorFlow.js), `aq` (arquero data frames), `lab` (the toolkit: models, losses, data,
// training, charts), `display`, `clearOutput` and `figure`. A cell's last expression is its result.
// %%
const names = { tf: typeof tf, aq: typeof aq, lab: typeof lab, display: typeof display, clearOutput: typeof clearOutput, figure: typeof figure };
console.log(`TensorFlow.js ${tf.version.tfjs}; the toolkit exports ${Object.keys(lab).length} names, e.g. ${["yolov5", "crossEntropy", "Trainer", "liveTrainingView"].map((n) => `lab.${n}`).join(", ")}`);
names
// %% [markdown]
// ## Which backend, and why
// At start-up the kernel picks the fastest TensorFlow.js backend that works here, in the order
// tensorflow (native, `@tensorflow/tfjs-node[-gpu]`) > webgpu > wasm > cpu, and says why each
// faster one was skipped. On a CPU machine that is **wasm** (XNNPACK + SIMD): several times faster
// than the pure-JavaScript `cpu` backend, and the toolkit registers the convolution gradient kernels
// wasm lacks, so networks train on it. `%backend NAME` switches.
// %%
%backend
// %% [markdown]
// ## Rich output: tensors, tables, figures, updates in place
// %%
const t = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
t
// %%
const runs = aq.table({ model: ["yolov5n", "yolov5s", "yolov5m"], params: [1_872_157, 7_235_389, 21_172_173], gflops: [4.5, 16.5, 49.0] })
  .derive({ "params / GFLOP": (d: any) => aq.op.round(d.params / d.gflops) });
runs
// %%
figure(
  [{ x: ["yolov5n", "yolov5s", "yolov5m"], y: [1.872157, 7.235389, 21.172173], type: "bar", name: "parameters (M)" }],
  { title: "YOLOv5 v7.0, parameters in millions", height: 300 },
)
// %% [markdown]
// `display(value, { displayId })` shows a value and names the output; a later
// `display(other, { displayId, update: true })` replaces it where it is (progress lines,
// live charts):
// %%
display("counting: 0", { displayId: "counter" });
for (let i = 1; i <= 5; i++) {
  await new Promise((r) => setTimeout(r, 100));
  display(`counting: ${i}${i === 5 ? " (done)" : ""}`, { displayId: "counter", update: true });
}
// %% [markdown]
// ## Magics
// Lines starting with `%` (and cells starting with `%%`) are magics, `!` runs a shell command.
// %%
%lsmagic
// %%
%time tf.tidy(() => tf.matMul(tf.randomNormal([256, 256]), tf.randomNormal([256, 256])).dataSync()[0])
// %%
%timeit -n 20 -r 3 tf.tidy(() => tf.sum(tf.randomNormal([1000])).dataSync()[0])
// %%
%%time
const a = tf.randomNormal([512, 512]);
const b = tf.matMul(a, a);
b.shape
// %% [markdown]
// `%who` and `%whos` list the notebook's variables (with types, and shapes for tensors):
// %%
%whos
// %%
%env TFJS_LAB_TOUR=hello
!echo "the shell sees TFJS_LAB_TOUR=$TFJS_LAB_TOUR"
// %% [markdown]
// ### Shapes and models
// `%shapes` tabulates every tensor and model held by a variable and flags tensors whose
// first (batch) dimension disagrees with the others: the first thing to check when a loss
// complains about sizes (here `targets` has 64 rows for 32 images). `%summary` is torchinfo
// for toolkit models (and tfjs LayersModels): with an input shape it runs one pass and lists
// every layer's output shape and mult-adds.
// %%
lab.manualSeed(0);
const net = lab.smallCnn({ nc: 5, channels: [8, 16] });
const images = tf.randomUniform([32, 32, 32, 3]) as tf.Tensor4D;
const logits = net.forward(images);
const targets = tf.oneHot(tf.randomUniform([64], 0, 5, "int32") as tf.Tensor1D, 5); // 64 rows for 32 images: a mistake
%shapes net images logits targets
// %%
%summary net [1,32,32,3]
// %% [markdown]
// A mistyped magic stops with a `UsageError`, as in IPython (this cell fails on purpose; a
// magic given wrong arguments does the same, naming the problem and the magic's usage line):
// %% tags=["raises-exception"]
%timit tf.ones([3]).sum()
// %% [markdown]
// ### Tracing
// `%%trace` runs a cell and lists every TensorFlow.js kernel it ran, with input and output
// shapes, and the toolkit calls among them (losses, `forward()` of your models). When the cell
// fails, it names the failing call and the variables that fed it.
// %%
%%trace
const loss = lab.crossEntropy(net.forward(images), tf.argMax(targets.slice([0, 0], [32, 5]), 1));
loss
// %% [markdown]
// ### Memory
// `%memory` shows what TensorFlow.js holds (and, from the second call on, what the previous
// cell leaked); `%%memit` prints memory_profiler's peak/increment line for a cell.
// %%
%memory
// %%
%%memit
tf.tidy(() => tf.matMul(tf.randomNormal([1024, 256]), tf.randomNormal([256, 1024])).sum().dataSync()[0]);
// %%
const leaked = tf.ones([100, 100]);
tf.dispose([t, a, b]);
// %%
%memory
// %%
%gpu
// %% [markdown]
// ## A tiny training run with a live chart
// A synthetic image-folder data set (five classes of coloured shapes, 32×32), the toolkit's
// `DataLoader`, a small CNN and `lab.Trainer` (YOLOv5's training loop). `lab.liveTrainingView`
// draws the loss while it trains, updating the chart in place.
// %%
import assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";
const root = path.join(os.tmpdir(), "tfjs-lab-nb00");
await lab.generateClassificationDataset(root, { seed: 1, imgSize: 32, nc: 5, trainPerClass: 32, valPerClass: 8 });
const trainSet = await lab.ImageFolderDataset.open(path.join(root, "train"), { imgSize: 32 });
const loader = new lab.DataLoader(trainSet, { batchSize: 32, shuffle: true, seed: 0, dropLast: true });
lab.manualSeed(1);
const model = lab.smallCnn({ nc: 5, channels: [16, 32, 64] });
type Batch = { images: tf.Tensor4D; labels: tf.Tensor1D };
const trainer = new lab.Trainer<Batch>({
  model, data: loader, epochs: 6, optimizer: "Adam", lr0: 0.01, nbs: null, weightDecay: 0,
  loss: (out, batch) => lab.crossEntropy(out as tf.Tensor2D, batch.labels) as tf.Scalar,
});
lab.liveTrainingView(trainer, { runName: "tour", title: "smallCnn on five synthetic classes" });
const result = await trainer.fit();
// %%
const epochLoss = result.epochs.map((e) => e.trainLoss);
console.log(`loss per epoch: ${epochLoss.map((l) => l.toFixed(3)).join(", ")}`);
assert.ok(epochLoss.at(-1)! < epochLoss[0] * 0.7, "the loss fell by more than 30 %");
// %% [markdown]
// `%loss` overlays the curves of this session's runs (and of runs saved to disk), for
// comparing experiments:
// %%
%loss
// %% [markdown]
// ## Images
// `lab.imageGrid` tiles a batch with its labels; `lab.drawDetections` draws boxes
// `(x1, y1, x2, y2, conf, cls)` on an image, as YOLOv5's plots do.
// %%
const shown = (await loader.iterate({ epoch: 0 }).next()).value!;
const grid = await lab.imageGrid(tf.slice(shown.images, 0, 8), Array.from(shown.labels.dataSync() as Int32Array).slice(0, 8), { names: trainSet.classes, cols: 4 });
tf.dispose([shown.images, shown.labels]);
grid
// %%
const det = await lab.generateDetectionDataset(path.join(os.tmpdir(), "tfjs-lab-nb00-det"), { seed: 2, imgSize: 160, train: 1, val: 0, nc: 3 });
const detSet = await lab.YoloDataset.open(det.dataYaml, { imgSize: 160 });
const item = await detSet.get(0);
const boxes: number[][] = [];
for (let i = 0; i < item.labels.shape[0]; i++) {
  const [cls, cx, cy, w, h] = item.labels.data.slice(i * 5, i * 5 + 5);
  boxes.push([(cx - w / 2) * 160, (cy - h / 2) * 160, (cx + w / 2) * 160, (cy + h / 2) * 160, 1, cls]);
}
console.log(`${boxes.length} labelled objects`);
await lab.drawDetections(item.image, boxes, { names: det.names })
