// The live training chart in a real client: nbclient (what nbconvert --execute uses) runs a
// cell that trains the synthetic detector (YOLOv5n, 2 classes, 64 px) for 3 epochs with
// lab.liveTrainingView. The kernel must update the figure in place (update_display_data)
// at least at every epoch end, and the saved notebook must hold the final figure with every
// epoch's points: nbclient applied the updates to the one output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_NAME, makeJupyterPath, PYTHON, pythonJupyterMissing, REPO_ROOT } from "../kernel/kernel-harness";

const EPOCHS = 3;
const BATCHES_PER_EPOCH = 2; // 32 images, batch 16

const CELL = `
const liveRoot = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "tfjs-lab-live-det-"));
lab.manualSeed(0);
const info = await lab.generateDetectionDataset(liveRoot, { seed: 1, imgSize: 64, train: 32, val: 4, nc: 2, objectsPerImage: [1, 2] });
const trainSet = await lab.YoloDataset.open(info.dataYaml, { split: "train", imgSize: 64, cache: true });
const model = lab.yolov5({ scale: "n", nc: 2 });
const criterion = new lab.ComputeLoss({ nc: 2, anchors: lab.anchorPairs(lab.DEFAULT_ANCHORS), strides: lab.DEFAULT_STRIDES,
  hyp: { box: 0.05, obj: 1.0, cls: 0.5, anchor_t: 4, cls_pw: 1, obj_pw: 1, fl_gamma: 0, label_smoothing: 0 } });
const trainer = new lab.Trainer({
  model, epochs: ${EPOCHS}, optimizer: "Adam", lr0: 0.002, nbs: null, warmupEpochs: 0,
  data: new lab.DataLoader(trainSet, { batchSize: 16, shuffle: true, seed: 0, collate: (items) => trainSet.collate(items) }),
  loss: (out: unknown, batch: { targets: tf.Tensor }) => {
    const r = criterion.call(out as tf.Tensor[], batch.targets);
    const [box, obj, cls] = tf.unstack(r.items);
    r.items.dispose();
    return { loss: r.loss, items: { box, obj, cls } };
  },
});
lab.liveTrainingView(trainer, { runName: "yolov5n-synthetic" });
await trainer.fit();
model.dispose();
require("fs").rmSync(liveRoot, { recursive: true, force: true });
`;

interface DisplayMessage {
  type: "display_data" | "update_display_data";
  display_id: string | null;
  text: string | null;
  traces: [string, number, number | null][] | null;
}
interface Saved {
  output_type: string;
  data: Record<string, any>;
  ename?: string;
  evalue?: string;
  text?: string;
}

function executeInNbclient(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(REPO_ROOT, "test", "viz", "detector_live_chart.py"), KERNEL_NAME], {
      env: { ...process.env, ...env },
    });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
    child.on("error", reject);
    child.on("close", (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout, stderr });
    });
    child.stdin.end(code);
  });
}

test("training the synthetic detector updates its chart in place every epoch; nbclient saves the final figure", {
  timeout: 200_000,
}, async (t) => {
  assert.equal(pythonJupyterMissing(["nbclient", "nbformat", "jupyter_client"]), null);
  const jupyterPath = makeJupyterPath();
  try {
    const started = Date.now();
    const r = await executeInNbclient(CELL, { JUPYTER_PATH: jupyterPath });
    t.diagnostic(`nbclient ran the training cell in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const { outputs, display_messages: messages } = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      outputs: Saved[];
      display_messages: DisplayMessage[];
    };
    assert.ok(!outputs.some((o) => o.output_type === "error"), JSON.stringify(outputs.filter((o) => o.output_type === "error")));

    // The kernel showed one figure (after the first batch) and then only updated it, at least
    // once per epoch: an update whose loss curves end exactly at each epoch's end (x = 1, 2, 3).
    const figureShown = messages.filter((m) => m.type === "display_data" && m.traces);
    assert.equal(figureShown.length, 1, JSON.stringify(messages.map((m) => [m.type, m.display_id])));
    const figureId = figureShown[0].display_id;
    assert.ok(figureId, "the figure has a display_id to update");
    const updates = messages.filter((m) => m.type === "update_display_data" && m.display_id === figureId);
    t.diagnostic(`${updates.length} figure updates for ${EPOCHS} epochs`);
    assert.ok(updates.length >= EPOCHS, `${updates.length} figure updates for ${EPOCHS} epochs`);
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      const atEpochEnd = updates.find((u) => u.traces!.find(([name]) => name === "box")?.[2] === epoch);
      assert.ok(atEpochEnd, `an update carries epoch ${epoch}'s end: ${JSON.stringify(updates.map((u) => u.traces))}`);
      assert.equal(atEpochEnd.traces!.find(([name]) => name === "box")![1], epoch * BATCHES_PER_EPOCH);
    }
    const progressUpdates = messages.filter((m) => m.type === "update_display_data" && m.display_id !== figureId);
    assert.ok(progressUpdates.length >= EPOCHS, "the progress line is updated too");

    // The saved notebook: the dataset's scan line (YoloDataset shows it while it opens), then one
    // progress line and one figure, all final (the updates applied).
    const displays = outputs.filter((o) => o.output_type === "display_data");
    assert.equal(displays.length, 3, JSON.stringify(outputs).slice(0, 2000));
    assert.match(displays[0].data["text/plain"], /^train: Scanning .* 100%/);
    assert.match(
      displays[1].data["text/plain"],
      new RegExp(`^yolov5n-synthetic {2}done: ${EPOCHS}/${EPOCHS} epochs in \\d+:\\d\\d {2}train loss [\\d.e+-]+`),
    );
    const fig = displays[2].data["application/vnd.plotly.v1+json"];
    assert.ok(fig, "the second output is the plotly figure");
    const traces = Object.fromEntries(fig.data.map((tr: { name: string; x: number[]; y: number[] }) => [tr.name, tr]));
    for (const part of ["box", "obj", "cls", "lr"]) {
      assert.ok(traces[part], `trace ${part} in ${Object.keys(traces)}`);
      assert.equal(traces[part].y.length, EPOCHS * BATCHES_PER_EPOCH, `${part} holds every batch of every epoch`);
    }
    assert.deepEqual(traces.box.x, [0.5, 1, 1.5, 2, 2.5, 3]);
    assert.ok(
      traces.box.y.every((v: number) => Number.isFinite(v) && v > 0),
      `box loss ${traces.box.y}`,
    );
  } finally {
    fs.rmSync(jupyterPath, { recursive: true, force: true });
  }
});
