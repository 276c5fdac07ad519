import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  autobatch,
  CachingAllocator,
  deviceMemoryStats,
  emptyCache,
  formatSize,
  linearFit,
  measureMemory,
  OutOfMemoryError,
  parseBytes,
  resetDeviceMemory,
  setMemoryBudget,
  Trainer,
  withMemoryBudget,
} from "../../src/toolkit/train";
import { mse, regressionData, TinyConv, TinyLinear } from "./tiny-models";

const MiB = 1 << 20,
  GiB = 1 << 30;

test("sizes are printed and parsed as PyTorch/users write them", () => {
  assert.equal(formatSize(100 * MiB), "100.00 MiB");
  assert.equal(formatSize(16 * GiB), "16.00 GiB");
  assert.equal(formatSize(1.2 * GiB), "1.20 GiB");
  assert.equal(formatSize(512), "512 bytes");
  assert.equal(parseBytes("16GiB"), 16 * GiB);
  assert.equal(parseBytes("512 MiB"), 512 * MiB);
  assert.equal(parseBytes("1.5GB"), 1.5e9);
  assert.throws(() => parseBytes("lots"), /cannot read memory size/);
});

test("caching allocator: reserved only grows; a doubled validation batch needs new segments", () => {
  const a = new CachingAllocator();
  // training: five 30 MiB activations alive at once
  const train = Array.from({ length: 5 }, () => a.allocate(30 * MiB));
  train.forEach((b) => a.free(b));
  assert.equal(a.stats().reserved, 150 * MiB);
  assert.equal(a.stats().allocated, 0);
  // validation at the same batch: served from the cache
  const same = [a.allocate(30 * MiB), a.allocate(30 * MiB)];
  same.forEach((b) => a.free(b));
  assert.equal(a.stats().reserved, 150 * MiB);
  // validation at twice the batch: 60 MiB blocks fit in no cached segment, although peak (120) < training peak (150)
  const doubled = [a.allocate(60 * MiB), a.allocate(60 * MiB)];
  doubled.forEach((b) => a.free(b));
  assert.equal(a.stats().reserved, 270 * MiB);
  assert.equal(a.stats().peakAllocated, 150 * MiB);
});

test("caching allocator: over capacity it releases free segments, then fails if segments are pinned", () => {
  const free = new CachingAllocator(200 * MiB);
  Array.from({ length: 5 }, () => free.allocate(30 * MiB)).forEach((b) => free.free(b));
  free.allocate(60 * MiB); // 150 + 60 > 200: free segments released, then it fits
  assert.equal(free.stats().reserved, 60 * MiB);

  // 24.5 MiB requests get 26 MiB segments whose 1.5 MiB remainders then hold small persistent tensors
  const pinned = new CachingAllocator(150 * MiB);
  const blocks = Array.from({ length: 5 }, () => pinned.allocate(24.5 * MiB));
  const kept = blocks.map(() => pinned.allocate(1.25 * MiB));
  assert.equal(pinned.stats().reserved, 130 * MiB);
  blocks.forEach((b) => pinned.free(b));
  // 130 + 60 > 150 and no segment is wholly free: out of memory, with only 7.5 MiB allocated
  assert.throws(
    () => pinned.allocate(60 * MiB),
    (e: Error & { requested?: number }) => e.requested === 60 * MiB,
  );
  assert.equal(pinned.stats().allocated, 7.5 * MiB); // each 1.25 MiB request holds its whole 1.5 MiB block (remainder too small to split)
  kept.forEach((b) => pinned.free(b));
});

test("a step over the budget fails with CUDA's message, returns its memory, and the next step works", async () => {
  await tf.setBackend("cpu");
  resetDeviceMemory();
  setMemoryBudget("4MiB");
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(
      withMemoryBudget(
        () =>
          tf.tidy(() =>
            tf
              .ones([1024 * 1024])
              .add(1)
              .sum(),
          ),
        { phase: "val" },
      ),
      (e: Error) => {
        assert.ok(e instanceof OutOfMemoryError);
        assert.equal(e.name, "OutOfMemoryError");
        assert.match(
          e.message,
          /^CUDA out of memory\. Tried to allocate 4\.00 MiB\. GPU 0 has a total capacity of 4\.00 MiB of which .* is free\. /,
        );
        assert.match(e.message, /Of the allocated memory .* is allocated by PyTorch, and .* is reserved by PyTorch but unallocated\./);
        assert.match(e.message, /\(simulated: budget set by setMemoryBudget; backend cpu has no device memory limit; failed during val\)$/);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, before);
    const small = await withMemoryBudget(() => tf.tidy(() => tf.ones([256]).add(1).sum()));
    assert.equal(small.dataSync()[0], 512);
    small.dispose();
  } finally {
    setMemoryBudget(null);
  }
});

test("the trainer fails a step over budget, frees it, and leaves the model usable", async () => {
  resetDeviceMemory();
  const model = new TinyLinear(2, 1);
  const before = tf.memory().numTensors;
  // a 4 MiB intermediate needs a new 20 MiB segment: over a budget 8 MiB above what is reserved
  setMemoryBudget(deviceMemoryStats().reserved + 8 * MiB);
  const hungryLoss = (out: unknown, batch: { targets: tf.Tensor }) =>
    tf.add(mse(out, batch), tf.mul(tf.sum(tf.ones([MiB])), 0)) as tf.Scalar;
  const trainer = new Trainer({ model, data: regressionData(4, 8), epochs: 1, loss: hungryLoss, nbs: null });
  try {
    await assert.rejects(trainer.fit(), (e: Error) => e.name === "OutOfMemoryError" && /failed during train/.test(e.message));
  } finally {
    setMemoryBudget(null);
  }
  trainer.dispose();
  assert.equal(tf.memory().numTensors, before);
  const r = await new Trainer({ model, data: regressionData(2, 8), epochs: 1, loss: mse, nbs: null }).fit();
  assert.equal(r.epochs.length, 1);
  model.dispose();
});

test("phases report measured peaks; reserved is a high-water mark across phases", async () => {
  resetDeviceMemory();
  const big = await measureMemory(
    () => {
      tf.tidy(() =>
        tf
          .ones([(4 * MiB) / 4])
          .mul(2)
          .sum(),
      );
    },
    { phase: "train" },
  );
  const small = await measureMemory(
    () => {
      tf.tidy(() =>
        tf
          .ones([(2 * MiB) / 4])
          .mul(2)
          .sum(),
      );
    },
    { phase: "val" },
  );
  assert.ok(big.memory.peakBytes - big.memory.startBytes >= 8 * MiB); // ones + mul alive together
  assert.ok(small.memory.peakBytes - small.memory.startBytes < big.memory.peakBytes - big.memory.startBytes);
  assert.equal(small.memory.reservedAfter, big.memory.reservedAfter); // served from the segments training left in the cache
  assert.deepEqual(
    deviceMemoryStats().phases.map((p) => p.phase),
    ["train", "val"],
  );
});

test("a variable's assignment updates it in place, as PyTorch's optimizers do: it keeps its block, and the new value's goes back to the cache", async () => {
  resetDeviceMemory();
  emptyCache();
  const before = deviceMemoryStats().reserved; // the small segments of what other tests keep alive
  const v = tf.tidy(() => tf.variable(tf.zeros([(12 * MiB) / 4]))); // 12 MiB: a segment of exactly that
  await measureMemory(
    () => {
      tf.tidy(() => tf.ones([(14 * MiB) / 4]).sum()); // leaves a free 14 MiB segment
      tf.tidy(() => v.assign(tf.add(v, 1))); // the new value is computed there
    },
    { phase: "train" },
  );
  emptyCache();
  // Moved out of place, v would pin the 14 MiB segment and its own 12 MiB would be released.
  assert.equal(deviceMemoryStats().reserved - before, 12 * MiB);
  assert.equal((await v.data())[0], 1);
  v.dispose();
  emptyCache();
});

test("AutoBatch fits YOLOv5's line on injected measurements and applies its guards", async () => {
  resetDeviceMemory();
  const lines: string[] = [];
  // memory(b) = 0.5 GiB + 0.25 GiB * b on a 16 GiB budget: b = int((16 * 0.8 - 0.5) / 0.25) = 49
  const r = await autobatch(null, {
    totalBytes: 16 * GiB,
    profile: async (b) => (0.5 + 0.25 * b) * GiB,
    device: "CUDA:0",
    log: (l) => lines.push(l),
  });
  assert.equal(r.batchSize, 49);
  const fit = linearFit(
    [1, 2, 4, 8, 16],
    [1, 2, 4, 8, 16].map((b) => 0.5 + 0.25 * b),
  );
  assert.ok(Math.abs(fit[0] - 0.25) < 1e-12 && Math.abs(fit[1] - 0.5) < 1e-12);
  assert.equal(lines.at(-1), "AutoBatch: Using batch-size 49 for CUDA:0 12.75G/16.00G (80%) ✅");
  // a size that fails: step back to the size before it
  const failing = await autobatch(null, {
    totalBytes: 16 * GiB,
    profile: async (b) => {
      if (b >= 16) throw new Error("CUDA out of memory");
      return (0.5 + 0.25 * b) * GiB;
    },
  });
  assert.equal(failing.batchSize, 8);
  // nonsense fit: fall back to 16 with YOLOv5's warning
  const bad = await autobatch(null, { totalBytes: 16 * GiB, profile: async (b) => (10 - 0.1 * b) * GiB });
  assert.equal(bad.batchSize, 16);
  assert.ok(bad.log.includes("AutoBatch: WARNING ⚠️ CUDA anomaly detected, recommend restart environment and retry command."));
  // no budget: YOLOv5's CPU answer
  const none = await autobatch(null, { totalBytes: null, profile: async () => 0 });
  assert.equal(none.batchSize, 16);
  assert.equal(none.log[1], "AutoBatch: CUDA not detected, using default CPU batch-size 16");
});

test("AutoBatch profiles a real model: memory grows with the batch and the choice fits the budget", async () => {
  resetDeviceMemory();
  const model = new TinyConv(8);
  const before = tf.memory().numTensors;
  const r = await autobatch(model, { imgsz: 64, totalBytes: 64 * MiB });
  assert.equal(tf.memory().numTensors, before);
  const mem = r.profiled.map((p) => p.gib as number);
  assert.ok(
    mem.every((m, i) => i === 0 || m >= mem[i - 1]),
    `profile ${mem}`,
  );
  assert.ok(mem[4] > mem[0]);
  assert.ok(r.batchSize >= 1 && r.batchSize <= 1024);
  assert.ok((r.predictedFraction ?? 1) <= 0.85, `fraction ${r.predictedFraction}`);
  model.dispose();
});
