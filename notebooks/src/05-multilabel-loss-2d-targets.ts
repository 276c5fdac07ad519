// title: Multi-label loss on 2-D targets (PaddleClas 2.5.2)
// expected-error: ValueError: Too many indices (3) for tensor of dimension 2.
// expected-error: ValueError: Too many indices (3) for tensor of dimension 2.
// expected-error: ValueError: Too many indices (3) for tensor of dimension 2.
// %% [markdown]
// # Multi-label loss on 2-D targets
//
// **What users saw.** Training PaddleClas's multi-label recipe
// (`ppcls/configs/quick_start/professional/MobileNetV1_multilabel.yaml`: MobileNetV1,
// `class_num: 33`, NUS-WIDE-SCENE) with PaddleClas 2.5.2 stopped at the first step in
// `ppcls/loss/multilabelloss.py` with
//
// ```
// ValueError: Too many indices (3) for tensor of dimension 2.
// ```
//
// (PaddlePaddle/PaddleClas issue #3222). PR #2973 (October 2023) had added class weighting
// (`weight_ratio`), and with it this code in `_binary_crossentropy`:
//
// ```python
// if self.weight_ratio:
//     target, label_ratio = target[:, 0, :], target[:, 1, :]
// else:
//     target = target[:, 0, :]        # <- a plain multi-hot target is [B, 33]: 2-D
// ```
//
// The data loader yields multi-hot targets `[B, 33]`, so `target[:, 0, :]` indexes a 2-D
// tensor with three indices. PR #3226 (August 2024) fixed it with
// `elif target.ndim == 3: target = target[:, 0, :]`.
//
// This notebook reproduces the failure with `lab.multiLabelLoss(..., { version: "2.5.2" })`,
// finds it with `%shapes` and `%%trace`, uses the fixed loss, compares its options
// (`epsilon`, `weightRatio`, `sizeSum`), and trains MobileNetV1 with BCE-with-sigmoid and,
// for contrast, softmax cross-entropy, scored with Hamming distance and accuracy.

// %% [markdown]
// ## A synthetic NUS-WIDE-SCENE
// 33 classes (11 colours × 3 shapes), one to three shapes per image, 32×32 px, written in
// PaddleClas's list format: `images/img_0000.jpg<TAB>0,1,0,…` with 33 values per line.

// %%
import assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";
import * as fs from "fs";

const NC = 33, IMG = 32, BATCH = 32;
const root = path.join(os.tmpdir(), "tfjs-lab-nb05");
const info = await lab.generateMultiLabelDataset(root, { seed: 5, imgSize: IMG, nc: NC, train: 256, val: 96 });
const trainSet = await lab.MultiLabelListDataset.open(info.trainList, { imgSize: IMG, normalize: true });
const valSet = await lab.MultiLabelListDataset.open(info.valList, { imgSize: IMG, normalize: true });
const firstLine = fs.readFileSync(info.trainList, "utf8").split("\n")[0];
console.log(`train ${trainSet.length} images, val ${valSet.length}, ${trainSet.numClasses} labels per line`);
console.log(`first line: ${firstLine.replace("\t", "<TAB>")}`);
const meanPositives = trainSet.labels.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0) / trainSet.length;
console.log(`labels per image: ${meanPositives.toFixed(2)} on average, i.e. ${(100 * meanPositives / NC).toFixed(1)} % of the 33 entries are 1`);

// %%
lab.manualSeed(0);
const model = lab.mobilenetV1({ nc: NC, scale: 0.25 });
const loader = new lab.DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 0, dropLast: true });
const batch = (await loader.iterate({ epoch: 0 }).next()).value!;
const images = batch.images;        // [32, 32, 32, 3]
const targets = batch.targets;      // [32, 33] multi-hot
const logits = model.forward(images);
console.log(`MobileNetV1 x0.25: ${model.numParams().toLocaleString("en-US")} parameters`);
console.log(`images ${JSON.stringify(images.shape)}  targets ${JSON.stringify(targets.shape)}  logits ${JSON.stringify(logits.shape)}`);

// %% [markdown]
// ## The reproduction
// The loss as released in PaddleClas 2.5.2, on the loader's `[32, 33]` targets:

// %% tags=["raises-exception"]
lab.multiLabelLoss(logits, targets, { version: "2.5.2" });

// %% [markdown]
// ## Diagnosis
// `%shapes` shows the two tensors the loss received: the targets are 2-D, as multi-hot
// labels are, and their batch dimension matches the logits, so nothing is wrong with the
// data.

// %%
%shapes logits targets

// %% [markdown]
// `%%trace` names the failing call and the shapes it was given: a 2-D target, where the
// 2.5.2 code always slices `target[:, 0, :]`.

// %% tags=["raises-exception"]
%%trace
const traced = lab.multiLabelLoss(logits, targets, { version: "2.5.2" });

// %% [markdown]
// ## The fix
// The fixed loss (PR #3226, the toolkit's default `version: "fixed"`) takes `target[:, 0, :]`
// only when the target is 3-D. A plain `[B, 33]` target and the same labels as
// `[B, 1, 33]` give the same value, which is the mean of the element-wise
// `binary_cross_entropy_with_logits` computed here by hand.

// %%
const fixed2d = lab.multiLabelLoss(logits, targets).dataSync()[0];
const fixed3d = lab.multiLabelLoss(logits, tf.expandDims(targets, 1)).dataSync()[0];
// BCE with logits: max(z, 0) - z·y + log(1 + e^-|z|)
const bceByHand = tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))))).dataSync()[0];
console.log(`fixed loss, target [32, 33]    : ${fixed2d.toFixed(6)}`);
console.log(`fixed loss, target [32, 1, 33] : ${fixed3d.toFixed(6)}`);
console.log(`mean BCE-with-logits by hand   : ${bceByHand.toFixed(6)}`);
assert.ok(Math.abs(fixed2d - fixed3d) < 1e-6, "the fixed loss takes [B, C] and [B, 1, C] targets alike");

// %% [markdown]
// The toolkit's loss is also checked against values computed by a PyTorch port of
// PaddleClas's `MultiLabelLoss` for fixed logits `[4, 6]` (test/fixtures/torch-loss-values.json):

// %%
const ref = JSON.parse(fs.readFileSync(lab.findUp("test/fixtures/torch-loss-values.json"), "utf8")).multilabel;
const refLogits = tf.tensor2d(ref.logits, ref.shape);
type RefCase = { name: string; target: number[][] | number[][][]; options: { epsilon?: number; weight_ratio?: boolean; size_sum?: boolean; version?: "2.5.2" }; expected: number };
const refRows = (ref.cases as RefCase[]).map((c) => {
  const target = tf.tensor(c.target);
  const ours = lab.multiLabelLoss(refLogits, target, { epsilon: c.options.epsilon, weightRatio: c.options.weight_ratio, sizeSum: c.options.size_sum, version: c.options.version }).dataSync()[0];
  target.dispose();
  return { case: c.name, target: `[${[c.target.length, ...(Array.isArray(c.target[0][0]) ? [c.target[0].length] : []), ref.shape[1]].join(", ")}]`, reference: c.expected, toolkit: ours, diff: Math.abs(ours - c.expected) };
});
aq.from(refRows)

// %% [markdown]
// ## `epsilon`, `weightRatio`, `sizeSum`
// * `epsilon` smooths the labels: `y ← (1-ε)·y + ε/C` (ignored unless 0 < ε < 1).
// * `weightRatio` weights each entry by `exp(y·(1-r) + (1-y)·r)`, where `r` is the class's
//   positive ratio in the training list. Rare positives (small `r`) get up to `e ≈ 2.7`,
//   the abundant negatives about `e^r ≈ 1`. The ratios travel **inside the target**:
//   PaddleClas's dataset option `label_ratio` makes each target `[2, C]` (labels, ratios),
//   so the batch is `[B, 2, C]`. `weightRatio` with plain `[B, C]` targets still fails, in
//   the fixed version too, because then the second row really is needed:

// %% tags=["raises-exception"]
lab.multiLabelLoss(logits, targets, { weightRatio: true });

// %% [markdown]
// With `labelRatio: true` the dataset yields `[B, 2, 33]` targets and every option works.
// `sizeSum` sums over the 33 classes per image before averaging over the batch, so it is
// exactly 33 times the element mean: a scale on the learning rate, not a different target.

// %%
const ratioSet = await lab.MultiLabelListDataset.open(info.trainList, { imgSize: IMG, normalize: true, labelRatio: true });
const ratioBatch = (await new lab.DataLoader(ratioSet, { batchSize: BATCH, shuffle: true, seed: 0, dropLast: true }).iterate({ epoch: 0 }).next()).value!;
console.log(`targets with labelRatio: ${JSON.stringify(ratioBatch.targets.shape)}`);
const configs: [string, lab.MultiLabelLossOptions][] = [
  ["plain", {}],
  ["epsilon 0.1", { epsilon: 0.1 }],
  ["weightRatio", { weightRatio: true }],
  ["sizeSum", { sizeSum: true }],
  ["epsilon 0.1 + weightRatio + sizeSum", { epsilon: 0.1, weightRatio: true, sizeSum: true }],
];
const optionRows = configs.map(([name, opts]) => ({ options: name, loss: lab.multiLabelLoss(logits, ratioBatch.targets, opts).dataSync()[0] }));
const byName = Object.fromEntries(optionRows.map((r) => [r.options, r.loss]));
aq.from(optionRows)

// %% [markdown]
// The weights `weightRatio` puts on a positive and on a negative entry of a few classes
// (`r` read from the second row of the target):

// %%
const ratios = ratioSet.positiveRatio!;
const weightRows = [0, 1, 2, 3, 4].map((k) => ({
  class: info.names[k], "positive ratio r": ratios[k], "weight if y=1: e^(1-r)": Math.exp(1 - ratios[k]), "weight if y=0: e^r": Math.exp(ratios[k]),
}));
aq.from(weightRows)

// %% [markdown]
// ## BCE with sigmoid versus softmax cross-entropy
// A multi-label image has several right answers at once. BCE with a sigmoid scores each of
// the 33 classes on its own (`P(class k present)`). Softmax cross-entropy, the single-label
// loss, makes the 33 probabilities compete and sum to 1: the target has to become
// `y / Σy`, and at a 0.5 threshold at most **one** class can ever be predicted.
//
// Before training anything: what would a *perfect* model of each kind score? The ideal
// sigmoid model outputs the labels themselves. The ideal softmax model outputs its training
// target `y / Σy`: `1/k` on each of an image's k labels, which is never above 0.5 when k ≥ 2.
// So a perfectly trained softmax model predicts *nothing* for every multi-label image. Both
// ideal outputs scored with PaddleClas's metrics (`lab.multiLabelScores`, threshold 0.5):

// %%
/** Logits whose sigmoid is the given probability: lets multiLabelScores threshold any probability. */
const probAsLogits = (p: tf.Tensor) => tf.tidy(() => {
  const q = tf.clipByValue(p, 1e-7, 1 - 1e-7);
  return tf.log(tf.div(q, tf.sub(1, q)));
});
const valY = tf.tensor2d(valSet.labels);
const kPerImage = valSet.labels.map((r) => r.reduce((a, b) => a + b, 0));
const idealSigmoid = await lab.multiLabelScores(probAsLogits(valY), valY);
const idealSoftmax = await lab.multiLabelScores(probAsLogits(tf.div(valY, tf.sum(valY, 1, true))), valY);
// the ideal softmax model misses every label of every image with k >= 2
const missed = kPerImage.filter((k) => k >= 2).reduce((a, b) => a + b, 0) / (valSet.length * NC);
console.log(`val images with 1 / 2 / 3 labels: ${[1, 2, 3].map((k) => kPerImage.filter((x) => x === k).length).join(" / ")}`);
console.log(`ideal sigmoid model: Hamming ${idealSigmoid.hammingDistance.toFixed(4)}, exact match ${idealSigmoid.exactMatch.toFixed(3)}`);
console.log(`ideal softmax model: Hamming ${idealSoftmax.hammingDistance.toFixed(4)}, exact match ${idealSoftmax.exactMatch.toFixed(3)} (only the single-label images)`);
assert.ok(missed > 0 && Math.abs(idealSoftmax.hammingDistance - missed) < 1e-9, "the ideal softmax model misses every label of every multi-label image");

// %% [markdown]
// Now both models are trained briefly from the same weights (3 epochs of 256 images, batch 16;
// PaddleClas's recipe uses Momentum 0.9 with a cosine schedule, Adam here to move faster in a
// few steps). After each epoch the validation set is scored at threshold 0.5 with
// HammingDistance and AccuracyScore; for the softmax model the thresholded probability is
// its softmax output.

// %%
const EPOCHS = 3;
const valLoader = new lab.DataLoader(valSet, { batchSize: 96 });
async function evaluate(m: lab.MobileNetV1, head: "sigmoid" | "softmax") {
  m.eval();
  const all: { z: tf.Tensor; y: tf.Tensor }[] = [];
  for await (const b of valLoader.iterate()) {
    const z = tf.tidy(() => { const out = m.forward(b.images); return head === "softmax" ? probAsLogits(tf.softmax(out)) : out; });
    all.push({ z, y: b.targets });
    b.images.dispose();
  }
  m.train();
  const z = tf.concat(all.map((a) => a.z)), y = tf.concat(all.map((a) => a.y));
  const scores = await lab.multiLabelScores(z, y, 0.5);
  const [zs, ys] = [await z.array() as number[][], await y.array() as number[][]];
  tf.dispose([z, y, ...all.flatMap((a) => [a.z, a.y])]);
  // ranking quality without a threshold: are an image's k true labels its k highest scores?
  let hits = 0, total = 0, predicted = 0, maxPredicted = 0;
  zs.forEach((row, i) => {
    const k = ys[i].reduce((a, b) => a + b, 0);
    const top = row.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, k);
    hits += top.filter(([, j]) => ys[i][j] > 0.5).length; total += k;
    const n = row.filter((v) => v > 0).length; predicted += n; maxPredicted = Math.max(maxPredicted, n);
  });
  return { ...scores, precisionAtK: hits / total, meanPredicted: predicted / zs.length, maxPredicted };
}

type Batch = { images: tf.Tensor4D; targets: tf.Tensor };
async function trainRun(name: string, head: "sigmoid" | "softmax") {
  lab.manualSeed(42);
  const net = lab.mobilenetV1({ nc: NC, scale: 0.25 });
  const loss = head === "sigmoid"
    ? (out: unknown, b: Batch) => lab.multiLabelLoss(out as tf.Tensor, b.targets) as tf.Scalar
    : (out: unknown, b: Batch) => lab.crossEntropy(out as tf.Tensor, tf.div(b.targets, tf.sum(b.targets, 1, true))) as tf.Scalar;
  const trainer = new lab.Trainer<Batch>({
    model: net, data: new lab.DataLoader(trainSet, { batchSize: 16, shuffle: true, seed: 1, dropLast: true }), epochs: EPOCHS,
    optimizer: "Adam", lr0: 0.01, schedule: "cosine", nbs: null, weightDecay: 0, loss,
    validate: async ({ model: m }) => {
      const s = await evaluate(m as lab.MobileNetV1, head);
      return { hamming: s.hammingDistance, accuracy: s.accuracy };
    },
  });
  lab.liveTrainingView(trainer, { runName: name });
  const result = await trainer.fit();
  const final = await evaluate(net, head);
  trainer.dispose();
  net.dispose();
  return { result, final };
}

// %%
const bce = await trainRun("BCE + sigmoid", "sigmoid");

// %%
const softmax = await trainRun("softmax CE", "softmax");

// %% [markdown]
// Both runs' validation Hamming distance per epoch, side by side (`%loss` overlays
// recorded runs):

// %%
%loss --metric hamming

// %% [markdown]
// The final scores, next to the trivial model that predicts "absent" for every class.
// With 33 classes and about two labels per image, that trivial model already has a Hamming
// distance of about 6 % and an accuracy of about 94 %: both metrics are dominated by the
// many negatives, and a briefly trained model starts by learning exactly that prior. The
// table therefore also shows how often an image's true labels are its top-ranked scores
// (precision@k; a random ranking gets the positive rate, about 0.06).

// %%
const valTargets = valSet.labels;
const positiveRate = valTargets.flat().reduce((a, b) => a + b, 0) / (valTargets.length * NC);
const scoreRows = [
  { model: "BCE + sigmoid (fixed MultiLabelLoss)", ...bce.final },
  { model: "softmax cross-entropy", ...softmax.final },
  { model: "predict nothing", hammingDistance: positiveRate, accuracy: 1 - positiveRate, exactMatch: 0, precisionAtK: NaN, meanPredicted: 0, maxPredicted: 0 },
].map((r) => ({
  model: r.model, "Hamming distance": r.hammingDistance, accuracy: r.accuracy, "exact match": r.exactMatch,
  "precision@k": r.precisionAtK, "labels predicted / image": r.meanPredicted, "most labels on one image": r.maxPredicted,
}));
aq.from(scoreRows)

// %% [markdown]
// Both training losses fell (printed below), and the assertion checks the lesson: the softmax
// model never predicts two labels for one image (its probabilities sum to 1), although most
// images here carry two or three. Which of the two briefly trained models has the lower Hamming distance is shown,
// not asserted: after a few dozen steps both sit near the trivial model, and the gap that
// matters is the one the ideal models above make exact.

// %%
const stepLosses = (r: typeof bce) => r.result.epochs.map((e) => e.trainLoss);
for (const [name, run] of [["BCE", bce], ["softmax CE", softmax]] as const) {
  const l = stepLosses(run);
  console.log(`${name} train loss per epoch: ${l.map((x) => x.toFixed(4)).join(" -> ")}`);
}
console.log(`precision@k: BCE ${bce.final.precisionAtK.toFixed(3)}, softmax ${softmax.final.precisionAtK.toFixed(3)}, random ranking ${positiveRate.toFixed(3)}`);
assert.ok(softmax.final.maxPredicted <= 1, "the softmax model never predicts two labels for one image");

// %% [markdown]
// ## Summary
// * PaddleClas 2.5.2's `MultiLabelLoss` indexed `target[:, 0, :]` whatever the target's
//   rank, so the ordinary `[B, 33]` multi-hot targets failed with
//   `ValueError: Too many indices (3) for tensor of dimension 2.` The fix (PR #3226) slices
//   only 3-D targets; until then, upgrading or removing the `else` branch were the remedies.
// * `weight_ratio` needs `[B, 2, C]` targets, which the dataset's `label_ratio` option
//   produces; `epsilon` smooths the labels; `size_sum` rescales the loss by C.
// * Multi-label data wants independent sigmoids (BCE): softmax makes the labels compete and
//   can predict at most one label per image at threshold 0.5.

// %%
tf.dispose([images, targets, logits, refLogits, ratioBatch.images, ratioBatch.targets, valY]);
model.dispose();
