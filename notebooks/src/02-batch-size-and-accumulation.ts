// title: Batch size, YOLOv5's nominal batch and memory
// expected-error: OutOfMemoryError: CUDA out of memory. Tried to allocate 576.00 KiB. GPU 0 has a total capacity of 128.00 MiB of which 0 bytes is free. Including non-PyTorch memory, this process has 128.00 MiB memory in use. Of the allocated memory 109.76 MiB is allocated by PyTorch, and 18.24 MiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables) (simulated: budget set by setMemoryBudget; backend wasm has no device memory limit; failed during train)
// %% [markdown]
// # Batch size, YOLOv5's nominal batch, and memory
//
// **What users read and saw.** A widely copied write-up on YOLO training batches
// (chinasem.cn article 790992, "yolov中的训练批次batch", 2024) says: bigger batches train
// faster and more stably, need more GPU memory, and *may* hurt small-object detection. In
// practice the first thing users meet is the memory: raising `--batch-size` until training
// stops with `torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate …`.
//
// **What YOLOv5 actually does** (ultralytics/yolov5 `train.py`, v7.0):
// - a *nominal batch* `nbs = 64`: gradients are accumulated over
//   `accumulate = max(round(nbs / batch_size), 1)` micro-batches before each optimizer step,
//   so every step sees about 64 images whatever `--batch-size` is;
// - weight decay is scaled by `batch_size * accumulate / nbs`;
// - during warm-up (`nw = max(round(warmup_epochs * nb), 100)` iterations) `accumulate`
//   itself ramps from 1 to `nbs / batch_size`;
// - `--batch-size -1` runs AutoBatch (`utils/autobatch.py`): profile batches 1, 2, 4, 8, 16,
//   fit memory = p0·b + p1, and take the batch that fills 80 % of the free memory.
//
// This notebook measures all of it on a small synthetic detection set with a YOLOv5n:
// the arithmetic, AutoBatch on a declared memory budget, the out-of-memory error at a batch
// too large for it, accumulation reaching the nominal batch inside the budget (the fix), loss
// curves, time per epoch and memory of the runs, and mAP on small versus larger objects.
//
// There is no GPU here, so the memory budget is **simulated**: the toolkit replays every
// TensorFlow.js buffer into a model of PyTorch's CUDA caching allocator and fails the way
// CUDA does when the declared budget would be exceeded. Tensor sizes are real; the limit is declared.

// %%
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
// The out-of-memory text names the backend, so the notebook pins wasm (the CPU default) to
// keep that text the same on every machine.
const backend = await lab.initBackend({ prefer: "wasm" });
backend.describe();

// %% [markdown]
// ## The data and the loss
// 64 training and 32 validation images of 96×96 px, three classes (a colour and a shape each),
// seeded so every run writes the same files. Objects come in two size bands so that small and
// larger objects can be scored separately at the end: 8–19 px wide (under COCO's 32² px
// "small" area) and 34–48 px wide (COCO "medium"; COCO's "large" starts at 96² px, the whole image).

// %%
const IMG = 96;
const info = await lab.generateDetectionDataset(path.join(os.tmpdir(), "tfjs-lab-nb02"), {
  seed: 2, imgSize: IMG, train: 64, val: 32, nc: 3, objectsPerImage: [2, 4],
  sizeBands: [{ min: 0.08, max: 0.2, weight: 0.6 }, { min: 0.35, max: 0.5, weight: 0.4 }],
});
const trainSet = await lab.YoloDataset.open(info.dataYaml, { imgSize: IMG, cache: true });
const valSet = await lab.YoloDataset.open(info.dataYaml, { split: "val", imgSize: IMG, cache: true });
console.log(`${trainSet.length} train / ${valSet.length} val images, classes ${info.names.join(", ")}, ${info.objects.total} objects`);

// %%
// YOLOv5's hyp.scratch-low, scaled as train.py scales it for 3 output layers, nc classes and imgsz.
const hyp = { box: 0.05, cls: 0.5 * info.nc / 80, obj: 1.0 * (IMG / 640) ** 2, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 };
const computeLoss = new lab.ComputeLoss({ nc: info.nc, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES, hyp });
function yoloLoss(out: unknown, batch: lab.YoloBatch) {
  const r = computeLoss.call(out as tf.Tensor[], batch.targets);
  const [box, obj, cls] = tf.unstack(r.items);
  r.items.dispose();
  return { loss: r.loss, items: { box, obj, cls } };
}

// %% [markdown]
// ## The nominal batch in numbers
// `accumulate` and the scaled weight decay for a range of batch sizes (nbs = 64): every
// optimizer step sees about 64 images, and the decay per step stays the same.

// %%
const NBS = 64;
aq.from([1, 2, 4, 8, 16, 24, 32, 64, 128].map((b) => {
  const acc = lab.accumulateFor(b, NBS);
  return { "--batch-size": b, accumulate: acc, "images per optimizer step": b * acc, weight_decay: +lab.scaledWeightDecay(0.0005, b, acc, NBS).toPrecision(3) };
}))

// %% [markdown]
// During warm-up `accumulate` ramps up from 1: early steps are taken after every micro-batch,
// later ones after `nbs / batch_size`. With YOLOv5's minimum of 100 warm-up iterations:

// %%
const nw = lab.warmupIterations(3, 4); // 3 warm-up epochs of 4 batches: YOLOv5's minimum of 100 applies
figure([8, 16, 32].map((b) => ({
  type: "scatter", mode: "lines", name: `batch ${b}`,
  x: Array.from({ length: nw + 20 }, (_, ni) => ni),
  y: Array.from({ length: nw + 20 }, (_, ni) => (ni <= nw ? lab.warmupAccumulate(ni, nw, NBS, b) : lab.accumulateFor(b, NBS))),
})), { title: { text: `accumulate during warm-up (nw = ${nw}, nbs = ${NBS})` }, xaxis: { title: { text: "iteration ni" } }, yaxis: { title: { text: "accumulate" } }, height: 320 })

// %% [markdown]
// ## A memory budget and AutoBatch
// We declare a 128 MiB device, with `%memory --budget` (the toolkit's `setMemoryBudget`),
// and ask AutoBatch for a batch size, as `--batch-size -1` does. It profiles forward + backward
// at batch 1, 2, 4, 8 and 16 on the simulated allocator, fits a line and prints YOLOv5's lines.

// %%
%memory --budget 128MiB

// %%
lab.manualSeed(0);
const probeModel = lab.yolov5({ scale: "n", nc: info.nc });
lab.resetDeviceMemory();
const auto = await lab.autobatch(probeModel, { imgsz: IMG, log: (line) => console.log(line) });
probeModel.dispose();
aq.from(auto.profiled.map((p) => ({ batch: p.batchSize, "reserved (MiB)": p.gib === null ? null : Math.round(p.gib * 1024) })))

// %% [markdown]
// ## The failure: batch 64 on this budget
// A user who wants the nominal batch in one go sets `--batch-size 64` (no accumulation needed).
// The first training step asks the allocator for more than the 128 MiB device has:

// %%
lab.resetDeviceMemory(); // a fresh process: nothing cached yet
lab.manualSeed(0);
const bigModel = lab.yolov5({ scale: "n", nc: info.nc });
const bigTrainer = new lab.Trainer<lab.YoloBatch>({
  model: bigModel, data: new lab.DataLoader(trainSet, { batchSize: 64, shuffle: true, seed: 0 }),
  loss: yoloLoss, epochs: 1, batchSize: 64,
});
let bigError: Error | undefined;
bigTrainer.on("end", (e) => (bigError = e.error));
console.log(`batch 64: accumulate ${bigTrainer.accumulate}, ${trainSet.length / 64} step per epoch`);

// %% tags=["raises-exception"]
await bigTrainer.fit();

// %% [markdown]
// ## Diagnosis
// The failed step gave back all its tensors (`%memory` shows what is live: the weights). The
// error's figures, and AutoBatch's measurements extended to batch 64, say why: memory grows
// linearly with the batch, and at 64 it lies beyond the budget.

// %%
%memory

// %%
const oom = bigError as lab.OutOfMemoryError;
bigTrainer.dispose();
bigModel.dispose();
const MiB = 2 ** 20;
const budgetMiB = lab.memoryBudget()! / MiB;
const [p0, p1] = auto.fit!;
console.log(`failed in phase "${oom.details.phase}": asked for ${lab.formatSize(oom.details.requested)} with ${lab.formatSize(oom.details.reserved)} reserved of ${lab.formatSize(oom.details.capacity)}`);
console.log(`AutoBatch's line predicts ${Math.round((p0 * 64 + p1) * 1024)} MiB at batch 64 and ${Math.round((p0 * 16 + p1) * 1024)} MiB at batch 16 (budget ${budgetMiB} MiB)`);
assert.ok((p0 * 64 + p1) * 1024 > budgetMiB && (p0 * 16 + p1) * 1024 < budgetMiB, "the line puts 64 beyond the budget and 16 inside it");
const bs = [1, 2, 4, 8, 16, 32, 64];
figure([
  { type: "scatter", mode: "markers", name: "measured (AutoBatch profile)", x: auto.profiled.map((p) => p.batchSize), y: auto.profiled.map((p) => (p.gib ?? NaN) * 1024) },
  { type: "scatter", mode: "lines", name: "fitted p0·b + p1", x: bs, y: bs.map((b) => (p0 * b + p1) * 1024), line: { dash: "dot" } },
  { type: "scatter", mode: "lines", name: `budget ${budgetMiB} MiB (simulated)`, x: [1, 64], y: [budgetMiB, budgetMiB] },
], { title: { text: `training memory by batch size (simulated on ${tf.getBackend()})` }, xaxis: { title: { text: "batch size" } }, yaxis: { title: { text: "reserved MiB" } }, height: 340 })

// %% [markdown]
// ## The fix: micro-batches that fit, accumulated to the nominal batch
// Keep `nbs = 64` and train at a batch the budget holds: YOLOv5 then accumulates gradients
// over `64 / batch` micro-batches, so each optimizer step still averages 64 images. Three runs,
// same seed, same data, 3 epochs each (warm-up shortened to one epoch so it ends inside the run):
// - **batch 8**, accumulate 8, and **batch 16**, accumulate 4: the nominal batch reached two ways;
// - **batch 16 without the nominal batch** (`nbs: null`): an optimizer step every 16 images, for contrast.
//
// Every run starts from an empty cache, so its reserved memory is its own.

// %%
interface RunSummary { name: string; batch: number; accumulate: number; steps: number; imagesPerStep: number[]; epochLoss: number[]; epochMs: number[]; peakMiB: number; reservedMiB: number; model: lab.YOLOv5 }
async function trainRun(name: string, batch: number, nbs: number | null, epochs = 3): Promise<RunSummary> {
  lab.resetDeviceMemory();
  lab.manualSeed(0);
  const model = lab.yolov5({ scale: "n", nc: info.nc });
  const trainer = new lab.Trainer<lab.YoloBatch>({
    model, data: new lab.DataLoader(trainSet, { batchSize: batch, shuffle: true, seed: 0 }), loss: yoloLoss,
    epochs, batchSize: batch, nbs, warmupEpochs: 1, minWarmupIterations: 0,
  });
  lab.liveTrainingView(trainer, { runName: name, every: "epoch", title: `${name}: loss per iteration` });
  const imagesPerStep: number[] = [];
  let seen = 0;
  trainer.on("batch", (e) => { seen += batch; if (e.optimizerStep) { imagesPerStep.push(seen); seen = 0; } });
  const r = await trainer.fit();
  trainer.dispose();
  return {
    name, batch, accumulate: trainer.accumulate, steps: imagesPerStep.length, imagesPerStep,
    epochLoss: r.epochs.map((e) => e.trainLoss), epochMs: r.epochs.map((e) => e.epochMs),
    peakMiB: Math.max(...r.epochs.map((e) => e.peakBytes)) / MiB, reservedMiB: lab.deviceMemoryStats().reserved / MiB, model,
  };
}

// %%
const run8 = await trainRun("batch 8, nbs 64", 8, NBS);

// %%
const run16 = await trainRun("batch 16, nbs 64", 16, NBS);

// %%
const run16plain = await trainRun("batch 16, no nbs", 16, null);

// %% [markdown]
// The three loss curves on one figure (`%loss` overlays the session's runs). The loss is
// YOLOv5's: the sum of box, objectness and class losses times the micro-batch size, so runs
// with different batch sizes sit at different heights; compare their shapes.

// %%
%loss

// %%
const runs = [run8, run16, run16plain];
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
aq.from(runs.map((r) => ({
  run: r.name, batch: r.batch, accumulate: r.accumulate, "optimizer steps": r.steps,
  "images per step after warm-up": r.imagesPerStep.at(-1),
  "loss/img epoch 1": +(r.epochLoss[0] / r.batch).toFixed(4), "loss/img last epoch": +(r.epochLoss.at(-1)! / r.batch).toFixed(4),
  "s per epoch": +(mean(r.epochMs) / 1000).toFixed(1), "peak live MiB": Math.round(r.peakMiB), "reserved MiB": Math.round(r.reservedMiB),
})))

// %% [markdown]
// What the table measures: time per epoch on this CPU (the machine is shared, so take it as
// rough), the highest live TensorFlow.js memory of a step, and the simulated allocator's
// reserved memory, which is what a CUDA device would have to hold. Memory follows the
// micro-batch, not the nominal batch: batch 8 with accumulation reaches the same 64 images per
// step in about half the memory of batch 16. Three epochs from scratch are only the start of
// training: the loss per image has begun to fall, by little, and the two nominal-batch runs
// take the same number of optimizer steps while the run without it takes three times as many.
//
// The proof of the fix, asserted:

// %%
assert.ok(runs.every((r) => r.reservedMiB <= budgetMiB) && [run8, run16].every((r) => r.imagesPerStep.at(-1) === NBS),
  "every run fits the budget, and after warm-up each optimizer step of batch 8 and 16 sees the nominal 64 images");
console.log(`every run stayed within ${budgetMiB} MiB; the nominal batch of ${NBS} was reached with ${run8.batch}×${run8.accumulate} and ${run16.batch}×${run16.accumulate}`);

// %% [markdown]
// ## Does the batch size change small-object accuracy?
// The write-up suggests large batches may hurt small objects. We can measure, not settle, that
// here: the batch-8 and batch-16 models (both with the nominal batch) are scored on the 32
// validation images as YOLOv5's val.py does (conf 0.001, IoU 0.6, mAP@0.5 and mAP@0.5:0.95),
// split by COCO's object areas with `DetectionEvaluator.bySize()`.

// %%
async function evaluateBySize(model: lab.YOLOv5) {
  model.eval();
  const evaluator = new lab.DetectionEvaluator();
  for await (const batch of new lab.DataLoader(valSet, { batchSize: 16 })) {
    const pred = tf.tidy(() => (model.forward(batch.images) as [tf.Tensor, tf.Tensor[]])[0]);
    const dets = await lab.nonMaxSuppression(pred, { confThres: 0.001, iouThres: 0.6, multiLabel: true });
    const rows = (await batch.targets.array()) as number[][];
    dets.forEach((d, i) => evaluator.add(d, rows.filter((t) => t[0] === i).map((t) => ({
      cls: t[1], box: [(t[2] - t[4] / 2) * IMG, (t[3] - t[5] / 2) * IMG, (t[2] + t[4] / 2) * IMG, (t[3] + t[5] / 2) * IMG] as lab.Box,
    }))));
    tf.dispose([pred, batch.images, batch.targets]);
  }
  return { all: evaluator.compute(), ...evaluator.bySize() };
}
const scores = { [run8.name]: await evaluateBySize(run8.model), [run16.name]: await evaluateBySize(run16.model) };
const sizeTable = aq.from(Object.entries(scores).flatMap(([run, s]) => (["all", "small", "medium", "large"] as const).map((size) => ({
  run, objects: size, labels: s[size].labels, "mAP@0.5": +s[size].map50.toFixed(4), "mAP@0.5:0.95": +s[size].map.toFixed(4),
}))));
sizeTable

// %%
const small8 = scores[run8.name].small, small16 = scores[run16.name].small;
console.log(`small objects (${small8.labels} labels): mAP@0.5 ${small8.map50.toFixed(4)} at batch 8 vs ${small16.map50.toFixed(4)} at batch 16`);
console.log(`medium objects (${scores[run8.name].medium.labels} labels): mAP@0.5 ${scores[run8.name].medium.map50.toFixed(4)} vs ${scores[run16.name].medium.map50.toFixed(4)}`);
for (const r of runs) r.model.dispose();

// %% [markdown]
// **What this measures, and what it does not.** These are one seed per batch size, three
// epochs of a from-scratch YOLOv5n on 64 images, scored on 32 images: the models have barely
// started to detect anything, and a difference of this size between two single runs is well
// within what another seed would change. The numbers above do not show that batch size helps
// or hurts small objects; they show how to measure it. To answer it for a real dataset, train
// each batch size to convergence with several seeds (with `nbs = 64` kept, so the optimizer
// sees the same effective batch) and compare `bySize().small` across them. There is no
// "large" row worth reading here: COCO's large starts at 96² px, the whole image.
//
// **Summary.** Memory follows the micro-batch; YOLOv5's nominal batch decouples the optimizer's
// effective batch (64 images a step) from it. When `--batch-size` does not fit, lower it (or let
// AutoBatch choose it for the device) and keep `nbs = 64`: accumulation restores the effective
// batch, and weight decay is rescaled to match.
