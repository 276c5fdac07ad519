// The toolkit and magics read asynchronously: a YOLOv5n trained two steps by the Trainer
// (ComputeLoss with autobalance, clipGradNorm), validated by lab.val, then %memory and %gpu,
// all in cells on webgpu (SwiftShader), with no synchronous read of GPU memory. Every
// readSync of the backend is watched, so one that something caught would still count.
import { requireSwiftShader } from "./swiftshader";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { needsGpuCopy, type SyncReadBackend } from "../../src/tfjs/webgpu/sync-read";
import { clipGradNorm } from "../../src/toolkit";
import { cellRunner } from "../magics/run-cell";

before(requireSwiftShader);
const cells = cellRunner();
after(() => cells.engine.shutdown());

/** Records every synchronous read that would need GPU memory copied back, with its stack. */
function watchSyncReads(): { fromGpu: string[]; all: number } {
  const backend = tf.backend() as unknown as SyncReadBackend;
  const seen = { fromGpu: [] as string[], all: 0 };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    seen.all++;
    if (needsGpuCopy(backend, dataId)) seen.fromGpu.push(new Error("readSync").stack!);
    return readSync(dataId);
  };
  return seen;
}

const ok = (code: string) => cells.ok(code);

const TRAIN_AND_VAL = `
const root = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "tfjs-lab-webgpu-"));
lab.manualSeed(0);
const info = await lab.generateDetectionDataset(root, { seed: 3, imgSize: 64, train: 4, val: 2, nc: 2, objectsPerImage: [1, 2] });
const trainSet = await lab.YoloDataset.open(info.dataYaml, { split: "train", imgSize: 64, cache: true });
const model = lab.yolov5({ scale: "n", nc: 2 });
const criterion = new lab.ComputeLoss({ nc: 2, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES, autobalance: true,
  hyp: { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 } });
const trainer = new lab.Trainer({
  model, epochs: 1, optimizer: "SGD", lr0: 0.01, nbs: null, warmupEpochs: 0, clipGradNorm: 10,
  data: new lab.DataLoader(trainSet, { batchSize: 2, collate: (items) => trainSet.collate(items) }),
  loss: (out: unknown, batch: { targets: tf.Tensor }) => {
    const r = criterion.call(out as tf.Tensor[], batch.targets);
    const [box, obj, cls] = tf.unstack(r.items);
    r.items.dispose();
    return { loss: r.loss, items: { box, obj, cls } };
  },
});
const fitted = await trainer.fit();
const metrics = await lab.val(model, info.dataYaml, { imgsz: 64, batchSize: 2 });
const balance = await criterion.balanceValues();
console.log(JSON.stringify({ loss: fitted.epochs[0].trainLoss, map50: metrics.mAP50, balance }));
`;

test("YOLOv5n training, val, %memory and %gpu on webgpu make no synchronous read of GPU memory", async (t) => {
  assert.equal((await cells.run("%backend webgpu")).status, "ok");
  assert.equal(tf.getBackend(), "webgpu");
  const reads = watchSyncReads();
  const started = performance.now();
  const printed = JSON.parse((await ok(TRAIN_AND_VAL)).trim().split("\n").pop()!) as { loss: number; map50: number; balance: number[] };
  assert.ok(Number.isFinite(printed.loss) && printed.loss > 0, `train loss ${printed.loss}`);
  assert.ok(Number.isFinite(printed.map50), `mAP@0.5 ${printed.map50}`);
  assert.equal(printed.balance[1], 1, "autobalance normalises to the stride-16 level, on the device");
  assert.notDeepEqual(printed.balance, [4, 1, 0.4], "and moved");
  const memory = await ok("%memory");
  assert.match(memory, /on webgpu/);
  assert.match(memory, /GPU buffers [\d.]+ \w+/);
  const gpu = await ok("%gpu");
  assert.match(gpu, /WebGPU buffers: [\d.]+ \w+ in use/);
  assert.deepEqual(reads.fromGpu, [], "synchronous reads of GPU memory");
  t.diagnostic(
    `train loss ${printed.loss.toFixed(3)}, mAP@0.5 ${printed.map50.toFixed(3)}, balance ${printed.balance.map((b) => b.toFixed(4)).join(", ")}; ` +
      `${reads.all} synchronous reads, all of values still on the CPU; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await ok("model.dispose(); criterion.dispose(); require('fs').rmSync(root, { recursive: true, force: true });");
});

test("a webgpu tensor as a cell's result shows its values (read asynchronously); display() says where they are", async () => {
  await ok("%backend webgpu");
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  try {
    const reads = watchSyncReads();
    const shown = await cells.run("const onDevice = tf.square(tf.tensor1d([1, 2, 3])); onDevice");
    const result = shown.sink.events.find((e) => e.type === "execute_result");
    assert.equal(shown.status, "ok", `${shown.ename}: ${shown.evalue}`);
    assert.match(String((result!.data as Record<string, string>)["text/plain"]), /^Tensor float32 \[3\] 12 B on webgpu\n\s*\[1, 4, 9\]/);
    const displayed = await cells.run("const again = tf.square(tf.tensor1d([2])); display(again)");
    assert.equal(displayed.status, "ok", `${displayed.ename}: ${displayed.evalue}`);
    assert.match(displayed.displayText, /^Tensor float32 \[1\] 4 B on webgpu\n\(values in GPU memory: show the tensor as a cell's result/);
    assert.deepEqual(reads.fromGpu, []);
    await ok("onDevice.dispose(); again.dispose();");
  } finally {
    tf.env().set("WEBGPU_CPU_FORWARD", true);
  }
});

test("clipGradNorm scales on the device as torch does and resolves to the norm", async () => {
  await ok("%backend webgpu");
  const reads = watchSyncReads();
  const grads = { a: tf.mul(tf.tensor1d([3, 0]), 1), b: tf.mul(tf.tensor1d([4]), 1) }; // computed on the device; norm 5
  const norm = await clipGradNorm(grads, 1);
  assert.equal(norm, 5);
  assert.deepEqual(
    Array.from(await grads.a.data()).map((v) => +v.toFixed(5)),
    [0.6, 0],
  );
  assert.deepEqual(
    Array.from(await grads.b.data()).map((v) => +v.toFixed(5)),
    [0.8],
  );
  const under = { c: tf.mul(tf.tensor1d([0.3, 0.4]), 1) };
  assert.equal(+(await clipGradNorm(under, 1)).toFixed(5), 0.5);
  assert.deepEqual(
    Array.from(await under.c.data()).map((v) => +v.toFixed(5)),
    [0.3, 0.4],
    "below maxNorm: unchanged",
  );
  assert.deepEqual(reads.fromGpu, []);
  tf.dispose([...Object.values(grads), under.c]);
});

test("a loss given labels that live only in GPU memory says which input and what to pass", async () => {
  await ok("%backend webgpu");
  // Small ops on values still on the CPU run on the CPU by default; these must reach the device.
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  const r = await cells.run(`
const ids = tf.add(tf.tensor1d([0, 1], "int32"), tf.scalar(0, "int32")); // made on the device, never read
lab.crossEntropy(tf.randomNormal([2, 3]), ids);`);
  tf.env().set("WEBGPU_CPU_FORWARD", true);
  assert.equal(r.status, "error");
  assert.equal(r.ename, "RuntimeError");
  assert.match(
    r.evalue!,
    /^crossEntropy: the class ids \[2\] are in webgpu memory only, .*Make them with tf\.tensor1d\(ids, "int32"\) just before the loss/,
  );
  await ok("ids.dispose();");
});
