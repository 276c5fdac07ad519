// The facts each notebook's run must show beyond the one assertion per lesson its reader sees.
// notebooks.test.ts appends each check as a code cell after the notebook's own cells and runs
// it in the same kernel session, so a check reads the notebook's variables (plain numbers and
// arrays: the notebooks free their tensors at the end). `check` is node's strict assert.

/** Notebook name (without .ipynb) -> checks, each one cell of TypeScript. */
export const NOTEBOOK_CHECKS: Record<string, string[]> = {
  "01-label-smoothing-batch-mismatch": [
    `check.ok(attemptRows.every((r) => r.raised.startsWith("ValueError: Expected input batch_size")), "each other mistake raises the batch-size ValueError: " + JSON.stringify(attemptRows))`,
    `check.ok(Math.abs(v1 - v3) < 1e-5, \`labelSmoothing \${v1} is -((1-ε)·onehot + ε/C)·log p = \${v3}\`)`,
    `check.ok(torchRows.length > 0 && torchRows.every((r) => r.diff < 1e-4), "the toolkit's smoothed cross-entropy is PyTorch's: " + JSON.stringify(torchRows))`,
    `check.ok(Math.abs(m1 - m2) < 1e-5, \`mixup as two losses \${m1} is one blended soft-target loss \${m2}\`)`,
    `check.ok(losses.at(-1)! < losses[0] * 0.8, "the training loss fell by more than 20 %: " + losses.join(", "))`,
  ],
  "02-batch-size-and-accumulation": [
    `check.ok(auto.batchSize >= 16, \`AutoBatch chose \${auto.batchSize}; the notebook trains at 8 and 16 and needs both to fit\`)`,
    `check.ok(oom instanceof lab.OutOfMemoryError, "the batch-64 step failed with OutOfMemoryError")`,
    `for (const r of runs) check.ok(r.epochLoss.at(-1)! < r.epochLoss[0], \`\${r.name}: loss fell (\${r.epochLoss.join(", ")})\`)`,
    `check.ok(run8.peakMiB < run16.peakMiB, \`batch 8 peaks below batch 16 (\${run8.peakMiB} vs \${run16.peakMiB} MiB)\`)`,
    `check.ok(run16plain.steps > run16.steps, "without the nominal batch, batch 16 takes more optimizer steps")`,
    `check.equal(run8.accumulate * run8.batch, NBS); check.equal(run16.accumulate * run16.batch, NBS)`,
    `check.ok(small8.labels > 0 && scores[run8.name].medium.labels > 0, "the validation set holds small and medium objects")`,
  ],
  "03-yolov5-output-shapes-and-distillation": [
    `check.equal(yolov5s.numParams(), 7_235_389); check.equal(yolov5n.numParams(), 1_872_157)`,
    `check.equal(nc, 128, "no - 5 of the decoded rows is the model's nc")`,
    `check.ok(decodeGap < 1e-3, \`the decoded rows are detectDecode of the maps (max diff \${decodeGap})\`)`,
    `check.deepEqual([upsampledP5.shape[1], p4.shape[1]], [26, 25], "at 400 px the neck concatenates heights 26 and 25")`,
    `check.deepEqual(checked.size, [416, 640]); check.equal(boxed.image.height, 416); check.equal(decoded416Rows, sum(rowsAt(416, 640)))`,
    `check.ok(lastLoss < firstLoss * 0.5, \`the distillation loss halved: \${firstLoss} -> \${lastLoss}\`)`,
  ],
  "04-yolov9-val-batch-oom": [
    `check.equal(fixedRun.result.epochs.length, 2)`,
    `check.equal(fixedVal.length, 2 * Math.ceil(valSet.length / fixedSizes.val), "validation ran every batch of both epochs")`,
    `for (const e of fixedRun.result.epochs) check.ok(Number.isFinite(e.metrics["mAP@0.5"]), \`epoch \${e.epoch} has validation metrics\`)`,
    `check.ok(fixedVal.every((p) => p.reservedAfter === p.reservedBefore), "validation at the training batch is served from the cache")`,
    `check.ok(doubledRun.vals.length === 1 && doubledRun.error?.details.phase === "train", "on the budget to the byte, validation at 2× completed and the next epoch's training ran out")`,
    `check.ok(zeroSlackVal.some((p) => p.reservedAfter < p.reservedBefore), "the retry released cached segments during validation at 2×")`,
    `check.equal(slackRun.result?.epochs.length, 2, "with one more large segment the run completed both epochs")`,
    `check.ok(doubledVal.some((p) => p.reservedAfter < p.reservedBefore), "and the retry released cached segments there too")`,
    `check.ok(slackRun.vals.length === 2 && slackRun.vals.every((v) => v.liveAtStartMiB > 0), "the EMA was validated after each epoch with train.py's locals alive")`,
    `check.ok(h16.reserved_after_val_MiB > h16.train_reserved_MiB && h16.val_peak_MiB < h16.train_peak_MiB, "H100: growth at 2× with a lower peak")`,
    `check.ok(ws1["val ×2 peak MiB"] < ws1["train peak MiB"], "simulated: validation at 2× peaks below training")`,
    `check.ok(Math.max(...h100Ratios) < 0.5, "H100: validation at 2× peaks below half of training's reserved memory")`,
    `check.ok(Math.abs(valScaled / h16.val_peak_MiB - 1) < 0.25, \`the simulated validation peak scaled to 640 px (\${valScaled}) is within 25 % of the H100's\`)`,
    `check.ok(fitsDownToMiB < 0.9 * budgetMiB, "validation at 2× would fit 90 % of the budget too")`,
    `check.ok(trainScaled < h16.train_peak_MiB && trainScaled > 0.5 * h16.train_peak_MiB, \`the simulated training peak scaled to 640 px (\${trainScaled}) is below the H100's, by less than half\`)`,
  ],
  "05-multilabel-loss-2d-targets": [
    `check.ok(Math.abs(fixed2d - bceByHand) < 1e-5, \`the fixed loss \${fixed2d} is the mean BCE with logits by hand \${bceByHand}\`)`,
    `check.ok(refRows.every((r) => r.diff < 1e-4), "the toolkit's MultiLabelLoss is the PyTorch port's: " + JSON.stringify(refRows))`,
    `check.ok(Math.abs(byName.sizeSum / byName.plain - NC) < 1e-3, "sizeSum is C × the element mean")`,
    `check.ok(Math.abs(byName.plain - fixed2d) < 1e-6, "the [B, 2, C] target's labels are the [B, C] batch's")`,
    `check.equal(idealSigmoid.hammingDistance, 0, "the ideal sigmoid model is perfect")`,
    `for (const [name, run] of [["BCE", bce], ["softmax CE", softmax]] as const) { const l = stepLosses(run); check.ok(l.at(-1)! < l[0], \`\${name} loss fell: \${l.join(", ")}\`); }`,
  ],
};

/** The cell that makes `check` available to the checks (a name the notebooks do not use). */
export const CHECKS_PRELUDE = `import { strict as check } from "node:assert";`;
