// title: Label smoothing and the batch-size mismatch (YOLOv5 classification)
// expected-error: ValueError: Expected input batch_size (32) to match target batch_size (64).
// expected-error: RuntimeError: expected scalar type Long but found Float
// expected-error: ValueError: Expected input batch_size (32) to match target batch_size (64).
// %% [markdown]
// # Label smoothing and the batch-size mismatch
//
// **What users saw.** Training a YOLOv5 classifier (`classify/train.py`), a user wanted
// mixup with smoothed labels. They built one-hot labels by hand, smoothed them, mixed two
// batches and passed the result to the loss. PyTorch stopped with
//
// ```
// ValueError: Expected input batch_size (32) to match target batch_size (64).
// ```
//
// (ultralytics/yolov5 issue #12824; a Chinese write-up of the same problem circulates as
// "YOLOv5分类模型训练中的批次尺寸匹配问题解析").
//
// **What YOLOv5 does.** `classify/train.py` already smooths *inside* the loss:
// `criterion = nn.CrossEntropyLoss(label_smoothing=0.1)` (default `--label-smoothing 0.1`).
// Its labels are integer class ids of shape `[B]`, its logits `[B, nc]`. There is nothing to
// smooth by hand, and any hand-made target must keep the batch dimension of the logits.
//
// This notebook reproduces both errors with the toolkit's PyTorch-faithful
// `lab.crossEntropy`, finds the cause with `%shapes` and `%%trace`, applies the three fixes
// and proves them by training a small classifier.

// %% [markdown]
// ## A small ImageFolder data set and a classifier
// Five classes of coloured shapes on noisy backgrounds, 32×32 px, written to a temporary
// folder in the torchvision ImageFolder layout that YOLOv5-cls reads. The batch is 32, as
// in the report.

// %%
import assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";

const NC = 5, IMG = 32, BATCH = 32, EPS = 0.1;
const root = path.join(os.tmpdir(), "tfjs-lab-nb01");
const info = await lab.generateClassificationDataset(root, { seed: 1, imgSize: IMG, nc: NC, trainPerClass: 48, valPerClass: 16 });
const trainSet = await lab.ImageFolderDataset.open(path.join(root, "train"), { imgSize: IMG });
const valSet = await lab.ImageFolderDataset.open(path.join(root, "val"), { imgSize: IMG });
const trainLoader = new lab.DataLoader(trainSet, { batchSize: BATCH, shuffle: true, seed: 0, dropLast: true });
const valLoader = new lab.DataLoader(valSet, { batchSize: 40 });
console.log(`classes: ${trainSet.classes.join(", ")}`);
console.log(`train ${trainSet.length} images (${trainLoader.length} batches of ${BATCH}), val ${valSet.length}`);

// %%
lab.manualSeed(0);
const model = lab.smallCnn({ nc: NC, channels: [16, 32, 64] });
const batch = (await trainLoader.iterate({ epoch: 0 }).next()).value!;
const images = batch.images;            // [32, 32, 32, 3] (NHWC)
const labels = batch.labels;            // [32] int32 class ids, as YOLOv5-cls feeds the loss
const logits = model.forward(images);   // [32, 5]
console.log(`images ${JSON.stringify(images.shape)}  labels ${JSON.stringify(labels.shape)} ${labels.dtype}  logits ${JSON.stringify(logits.shape)}`);

// %% [markdown]
// ## The reproduction
// The user's recipe, written the way it appears in the report: one-hot encode and smooth
// the labels, draw a permutation for mixup, then **concatenate** the targets of the batch and
// of its permuted copy (`torch.cat([y_smooth, y_smooth[perm]])`). The images are mixed
// (`lam * x + (1 - lam) * x[perm]`), so the model still sees 32 images; the target now has 64
// rows.

// %%
/** (1 - eps) * onehot + eps / C, the smoothing formula written by hand. */
function smoothOneHot(ids: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(tf.oneHot(ids, NC), 1 - eps), eps / NC)) as tf.Tensor2D;
}
const perm = tf.tensor1d(new lab.Prng(7).permutation(BATCH), "int32");
const lam = 0.7;
const mixedImages = tf.tidy(() => tf.add(tf.mul(images, lam), tf.mul(tf.gather(images, perm), 1 - lam))) as tf.Tensor4D;
const mixedLogits = model.forward(mixedImages);
const handTargets = tf.concat([smoothOneHot(labels, EPS), smoothOneHot(tf.gather(labels, perm) as tf.Tensor1D, EPS)]);
console.log(`mixedLogits ${JSON.stringify(mixedLogits.shape)}  handTargets ${JSON.stringify(handTargets.shape)}`);

// %% tags=["raises-exception"]
// YOLOv5's criterion: nn.CrossEntropyLoss(label_smoothing=0.1)
const criterion = (out: tf.Tensor, target: tf.Tensor) => lab.crossEntropy(out, target, { labelSmoothing: EPS });
criterion(mixedLogits, handTargets);

// %% [markdown]
// Why a *batch-size* error for a soft target? PyTorch reads a target as class
// probabilities only when it has **exactly** the logits' shape. `[64, 5]` is not `[32, 5]`,
// so it is taken as class ids and goes to `nll_loss`, whose first check compares the batch
// dimensions. The toolkit follows the same order of checks, so it fails at the same place
// with the same words.
//
// The other report in the thread: a float target of the right length. Class ids must be
// integers (torch's `Long`, int32 here):

// %% tags=["raises-exception"]
criterion(logits, tf.cast(labels, "float32"));

// %% [markdown]
// The same ValueError comes from several other mistakes. Each is run here through the real
// check and its error text printed:

// %%
const attempts: [string, () => tf.Tensor][] = [
  ["class ids [64] vs logits [32, 5]", () => criterion(logits, tf.concat([labels, labels]))],
  ["torch.cat([y, y[perm]]) on class ids", () => criterion(logits, tf.concat([labels, tf.gather(labels, perm)]))],
  ["one-hot [32, 2] flattened with view(-1)", () => lab.crossEntropy(tf.randomNormal([32, 2]), tf.reshape(tf.oneHot(tf.cast(tf.greater(labels, 1), "int32"), 2), [-1]))],
  ["smoothed one-hot [64, 5] (the report)", () => criterion(mixedLogits, handTargets)],
];
const attemptRows = attempts.map(([what, run]) => {
  try { run().dispose(); return { mistake: what, raised: "(no error)" }; }
  catch (e) { return { mistake: what, raised: `${(e as Error).name}: ${(e as Error).message}` }; }
});
aq.from(attemptRows)

// %% [markdown]
// ## Diagnosis
// `%shapes` lists every tensor in the notebook with its shape and flags the ones whose
// leading (batch) dimension disagrees with the others: `handTargets` stands out with 64
// rows next to 32 everywhere else.

// %%
%shapes images labels logits mixedLogits handTargets

// %% [markdown]
// `%%trace` runs a cell under the profiler and records each toolkit call and kernel with
// the shapes going in. When the cell fails it names the failing call, its input shapes and
// the variables that held them, then raises the cell's own error unchanged.

// %% tags=["raises-exception"]
%%trace
const traced = criterion(mixedLogits, handTargets);

// %% [markdown]
// ## The fix
// Three correct ways, all keeping the target's batch dimension equal to the logits':
//
// 1. **Integer labels `[B]` and the loss's own smoothing**, exactly what YOLOv5 does:
//    `lab.crossEntropy(logits, labels, { labelSmoothing: 0.1 })`.
// 2. **Soft targets `[B, nc]`**, smoothed by hand, with the loss's smoothing *off* (otherwise
//    the labels are smoothed twice).
// 3. **Mixup as two losses**: `lam * ce(out, y_a) + (1 - lam) * ce(out, y_b)`, with
//    `y_a = y`, `y_b = y[perm]`, both `[B]`.
//
// First, fixes 1 and 2 give the same number, because PyTorch's smoothing *is*
// `(1 - ε)·onehot + ε/C`. We also compute that formula by hand from `log_softmax`.

// %%
const fix1 = lab.crossEntropy(logits, labels, { labelSmoothing: EPS });
const fix2 = lab.crossEntropy(logits, smoothOneHot(labels, EPS));
const byHand = tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(smoothOneHot(labels, EPS), tf.logSoftmax(logits)), 1))));
const [v1, v2, v3] = [fix1, fix2, byHand].map((t) => t.dataSync()[0]);
console.log(`labels [32] + labelSmoothing 0.1 : ${v1.toFixed(6)}`);
console.log(`soft targets [32, 5]             : ${v2.toFixed(6)}`);
console.log(`-(((1-ε)·onehot + ε/C) · log p)  : ${v3.toFixed(6)}`);
assert.ok(Math.abs(v1 - v2) < 1e-5, "labelSmoothing on [B] labels is the soft [B, nc] target");

// %% [markdown]
// And against PyTorch itself: the repository's fixture holds `F.cross_entropy` values that
// torch computed for fixed logits `[6, 5]` (test/fixtures/torch-loss-values.json). The
// toolkit's loss reproduces every smoothing case.

// %%
import * as fs from "fs";
const torchCe = JSON.parse(fs.readFileSync(lab.findUp("test/fixtures/torch-loss-values.json"), "utf8")).cross_entropy;
const fxLogits = tf.tensor2d(torchCe.logits, torchCe.shape);
const torchRows = (torchCe.cases as { name: string; target: number[] | number[][]; target_kind: string; options: Record<string, unknown>; expected: number | number[] }[])
  .filter((c) => (c.options.label_smoothing ?? 0) !== 0 && !c.options.weight && c.options.reduction !== "none")
  .map((c) => {
    const target = c.target_kind === "ids" ? tf.tensor1d(c.target as number[], "int32") : tf.tensor2d(c.target as number[][]);
    const ours = lab.crossEntropy(fxLogits, target, {
      labelSmoothing: c.options.label_smoothing as number,
      reduction: (c.options.reduction as "mean" | "sum") ?? "mean",
      ignoreIndex: c.options.ignore_index as number | undefined,
    }).dataSync()[0];
    return { case: c.name, target: c.target_kind, torch: c.expected as number, toolkit: ours, diff: Math.abs(ours - (c.expected as number)) };
  });
aq.from(torchRows)

// %% [markdown]
// Fix 3, mixup. The two-loss form needs only `[B]` labels. Because cross-entropy is linear
// in the target, it equals one soft-target loss with `lam·ỹ_a + (1-lam)·ỹ_b` **of shape
// `[B, nc]`**: the user's idea was right, the mistake was stacking the two targets instead of
// blending them.

// %%
const yA = labels, yB = tf.gather(labels, perm) as tf.Tensor1D;
const mixupTwoLosses = tf.add(tf.mul(criterion(mixedLogits, yA), lam), tf.mul(criterion(mixedLogits, yB), 1 - lam));
const blended = tf.add(tf.mul(smoothOneHot(yA, EPS), lam), tf.mul(smoothOneHot(yB, EPS), 1 - lam));
const mixupSoft = lab.crossEntropy(mixedLogits, blended);
const [m1, m2] = [mixupTwoLosses.dataSync()[0], mixupSoft.dataSync()[0]];
console.log(`lam*ce(out, y_a) + (1-lam)*ce(out, y_b) = ${m1.toFixed(6)}`);
console.log(`ce(out, blended soft target ${JSON.stringify(blended.shape)}) = ${m2.toFixed(6)}`);

// %% [markdown]
// ## Proof: training with mixup and label smoothing
// The small CNN is trained with the fixed recipe: each batch is mixed with a shuffled copy
// of itself (`lam = max(u, 1 - u)` with `u` uniform, seeded), and the loss is
// `lam·ce(out, y_a) + (1-lam)·ce(out, y_b)` with `labelSmoothing: 0.1`. After each epoch the
// un-mixed validation images are classified (top-1 accuracy). The chart updates live.

// %%
lab.manualSeed(1);
const net = lab.smallCnn({ nc: NC, channels: [16, 32, 64] });
const mixRng = new lab.Prng(11);
type Batch = { images: tf.Tensor4D; labels: tf.Tensor1D };
let step: { lam: number; perm: tf.Tensor1D } | undefined;

async function valTop1(m: lab.Module): Promise<number> {
  m.eval();
  let hit = 0, n = 0;
  for await (const b of valLoader.iterate()) {
    const out = tf.tidy(() => (m as lab.SmallCnn).forward(b.images));
    const acc = await lab.topkAccuracy(out, b.labels, [1]);
    hit += acc.top1 * b.labels.shape[0]; n += b.labels.shape[0];
    tf.dispose([out, b.images, b.labels]);
  }
  m.train();
  return hit / n;
}
const chance = 1 / NC;
const top1Before = await valTop1(net);

const trainer = new lab.Trainer<Batch>({
  model: net, data: trainLoader, epochs: 8, optimizer: "Adam", lr0: 0.01, nbs: null, weightDecay: 0,
  forward: (m, b) => {
    const u = mixRng.next();
    step?.perm.dispose();
    step = { lam: Math.max(u, 1 - u), perm: tf.keep(tf.tensor1d(mixRng.permutation(b.images.shape[0]), "int32")) };
    const x = tf.add(tf.mul(b.images, step.lam), tf.mul(tf.gather(b.images, step.perm), 1 - step.lam)) as tf.Tensor4D;
    return (m as lab.SmallCnn).forward(x);
  },
  loss: (out, b) => {
    const o = out as tf.Tensor2D;
    const { lam, perm } = step!;
    return tf.add(tf.mul(criterion(o, b.labels), lam), tf.mul(criterion(o, tf.gather(b.labels, perm)), 1 - lam)) as tf.Scalar;
  },
  validate: async ({ model: m }) => ({ top1: await valTop1(m) }),
});
lab.liveTrainingView(trainer, { runName: "mixup + label smoothing", title: "smallCnn, mixup with lam·ce(y_a) + (1-lam)·ce(y_b), ε = 0.1" });
const result = await trainer.fit();

// %% [markdown]
// The proof: the classifier is far better than chance (1/5 = 20 %) on images it never saw.

// %%
const losses = result.epochs.map((e) => e.trainLoss);
const top1 = result.epochs[result.epochs.length - 1].metrics.top1;
console.log(`train loss: first epoch ${losses[0].toFixed(3)}, last epoch ${losses[losses.length - 1].toFixed(3)}`);
console.log(`val top-1: before training ${(100 * top1Before).toFixed(1)} %, after ${(100 * top1).toFixed(1)} % (chance ${(100 * chance).toFixed(0)} %)`);
assert.ok(top1 >= chance + 0.4, "top-1 is at least 40 points above chance");

// %% [markdown]
// ## Summary
// * The error is about **shapes**, not smoothing: a target of `[64, …]` against logits of
//   `[32, nc]` is never valid, and a soft target is recognised only when its shape equals the
//   logits' shape.
// * YOLOv5-cls already smooths in the loss (`label_smoothing=0.1`): pass integer labels `[B]`.
//   Smoothing by hand *and* in the loss smooths twice.
// * For mixup, blend (`lam·ỹ_a + (1-lam)·ỹ_b`, shape `[B, nc]`) or sum two losses; never
//   concatenate the two targets.
// * A float class-id target is the other error: ids must be integers.

// %%
tf.dispose([images, labels, logits, perm, mixedImages, mixedLogits, handTargets, fix1, fix2, byHand, fxLogits, mixupTwoLosses, blended, mixupSoft]);
step?.perm.dispose();
trainer.dispose();
net.dispose();
model.dispose();
