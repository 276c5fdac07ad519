// The memory budget and AutoBatch on webgpu (SwiftShader), through cells: a training step
// over the budget set by `%memory --budget` fails in the cell with CUDA's message, gives
// the device's buffers back and leaves the model trainable; AutoBatch profiles YOLOv5n on
// the device and picks a batch that fits. tfjs counts a tensor's bytes the same on every
// backend, so the webgpu profile is checked against the same profile on wasm, within the
// difference our wasm kernels make (they save fewer intermediates than the composed ops).
import { requireSwiftShader } from "./swiftshader";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { webgpuDeviceMemory } from "../../src/tfjs/webgpu";
import { deviceWorkDone } from "../../src/tfjs/webgpu/device-fence";
import { cellRunner } from "../magics/run-cell";

before(requireSwiftShader);
const cells = cellRunner();
after(() => cells.engine.shutdown());

const ok = (code: string) => cells.ok(code);

const MODEL = `
lab.manualSeed(0);
const model = lab.yolov5({ scale: "n", nc: 2 });
const criterion = new lab.ComputeLoss({ nc: 2, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES,
  hyp: { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 } });
function batches(n: number, bs: number) {
  return { length: n, async *[Symbol.asyncIterator]() {
    for (let i = 0; i < n; i++) yield { images: tf.randomUniform([bs, 32, 32, 3], 0, 1, "float32", i), targets: tf.tensor2d([[0, 1, 0.5, 0.5, 0.4, 0.3]]) };
  } };
}
const train = (bs: number) => new lab.Trainer({ model, data: batches(1, bs), epochs: 1, optimizer: "SGD", lr0: 0.01, nbs: null, warmupEpochs: 0,
  loss: (out: unknown, b: { targets: tf.Tensor }) => { const r = criterion.call(out as tf.Tensor[], b.targets); r.items.dispose(); return r.loss; } }).fit();
`;

test("a step over the %memory budget fails in the cell on webgpu, frees the device's buffers, and the next step runs", async (t) => {
  await ok("%backend webgpu");
  await ok(MODEL);
  await ok("await train(2);"); // pipelines compiled, optimizer state made
  await deviceWorkDone();
  const device0 = webgpuDeviceMemory()!;
  const tensors0 = tf.memory().numTensors;
  assert.match(await ok("%memory --budget 2MiB"), /^Device-memory budget set to 2\.00 MiB/);
  try {
    const r = await cells.run("await train(4);");
    assert.equal(r.status, "error");
    assert.equal(r.ename, "OutOfMemoryError");
    assert.match(
      r.evalue!,
      /^CUDA out of memory\. Tried to allocate .* GPU 0 has a total capacity of 2\.00 MiB .*\(simulated: budget set by setMemoryBudget; backend webgpu has no device memory limit; failed during train\)$/s,
    );
  } finally {
    await ok("%memory --budget none");
  }
  assert.equal(tf.memory().numTensors, tensors0, "the failed step's tensors are freed");
  await deviceWorkDone(); // buffers of disposed tensors return to the pool when their commands are submitted
  assert.equal(webgpuDeviceMemory()!.bytesInUse, device0.bytesInUse, "and the device's buffers with them");
  const fitted = await ok("console.log((await train(2)).epochs[0].trainLoss);");
  assert.ok(Number.isFinite(Number(fitted)), fitted);
  await ok("model.dispose();");
  t.diagnostic(
    `device buffers in use before and after the failed step: ${device0.bytesInUse} bytes; the next step's loss ${Number(fitted).toFixed(3)}`,
  );
});

const AUTOBATCH = `
lab.resetDeviceMemory();
const r = await lab.autobatch(model, { imgsz: 32, batchSizes: [2, 4, 8], totalBytes: 256 * 2 ** 20 });
console.log(JSON.stringify({ batchSize: r.batchSize, gib: r.profiled.map((p) => p.gib), line: r.log.at(-1) }));
`;

test("AutoBatch profiles YOLOv5n on webgpu, as on wasm, and picks a batch that fits", async (t) => {
  const profiles: Record<string, { batchSize: number; gib: number[]; line: string }> = {};
  await ok("%backend wasm");
  await ok(MODEL); // made on wasm: its weights move to webgpu when used there, never back
  for (const backend of ["wasm", "webgpu"]) {
    await ok(`%backend ${backend}`);
    const tensors0 = tf.memory().numTensors;
    profiles[backend] = JSON.parse((await ok(AUTOBATCH)).trim().split("\n").pop()!);
    assert.equal(tf.memory().numTensors, tensors0, `${backend}: profiling leaves nothing behind`);
  }
  const gpu = profiles.webgpu,
    wasm = profiles.wasm;
  // Reserved memory comes in the allocator's segments: two small batches may reserve the same
  // (as torch.cuda.memory_reserved does); over the range it must grow.
  assert.ok(
    gpu.gib.every((g, i) => g > 0 && (i === 0 || g >= gpu.gib[i - 1])) && gpu.gib.at(-1)! > gpu.gib[0],
    `webgpu profile grows with the batch: ${gpu.gib}`,
  );
  assert.match(gpu.line, /^AutoBatch: Using batch-size \d+ for WEBGPU:0 [\d.]+G\/0\.25G \((\d+)%\) ✅$/);
  assert.ok(Number(/\((\d+)%\)/.exec(gpu.line)![1]) <= 85, gpu.line);
  gpu.gib.forEach((g, i) =>
    assert.ok(g >= wasm.gib[i] && g <= 2.5 * wasm.gib[i], `batch ${[2, 4, 8][i]}: webgpu ${g} GiB, wasm ${wasm.gib[i]} GiB`),
  );
  t.diagnostic(
    `batch 2, 4, 8 at 32 px: webgpu ${gpu.gib.map((g) => (g * 1024).toFixed(1)).join(", ")} MiB, wasm ${wasm.gib.map((g) => (g * 1024).toFixed(1)).join(", ")} MiB; ` +
      `chosen ${gpu.batchSize} (webgpu), ${wasm.batchSize} (wasm)`,
  );
  await ok("model.dispose();");
});
