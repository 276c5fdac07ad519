// The forms a YOLOv5 checkpoint comes in, all from the real best.pt (make_torch_variants.py
// rewrites its pickle as torch.save would for each form): train.py's checkpoint dict, a bare
// torch.save(model), and a plain state_dict. Each loads to the same model with the same
// outputs; a checkpoint whose pickle would run a command is refused and runs nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { loadYolov5, type LoadedYolov5 } from "../../src/toolkit/weights";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");
const MAKE = path.join(__dirname, "../../../test/yolov5/make_torch_variants.py");
let dir: string;
let reference: LoadedYolov5;
let x: tf.Tensor4D;
let want: Float32Array;

async function decoded(model: LoadedYolov5): Promise<Float32Array> {
  const y = tf.tidy(() => (model.forward(x) as [tf.Tensor, tf.Tensor[]])[0]);
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

before(async () => {
  await initBackend();
  dir = mkdtempSync(path.join(tmpdir(), "tfjs-lab-pt-"));
  execFileSync("/usr/bin/python3", [MAKE, BEST, dir]);
  reference = await loadYolov5(BEST);
  x = tf.randomUniform([1, 160, 160, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  want = await decoded(reference);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  reference.dispose();
  x.dispose();
});

test("train.py's checkpoint: weights from 'model' (ema is None after strip_optimizer), epoch and options read", () => {
  assert.equal(reference.checkpoint.format, "train.py checkpoint");
  assert.equal(reference.checkpoint.weightsFrom, "model");
  assert.equal(reference.checkpoint.epoch, -1);
  assert.equal(reference.checkpoint.opt?.imgsz, 160);
  assert.equal(reference.checkpoint.opt?.cfg, "models/yolov5n.yaml");
});

test("a bare torch.save(model) loads to the same model and outputs", async () => {
  const m = await loadYolov5(path.join(dir, "model.pt"));
  assert.equal(m.checkpoint.format, "torch.save(model)");
  assert.deepEqual(m.names, reference.names);
  assert.deepEqual(await decoded(m), want);
  m.dispose();
});

test("a plain state_dict loads to the same outputs, the yaml inferred from the standard table's shapes", async () => {
  const m = await loadYolov5(path.join(dir, "state_dict.pt"), { names: ["square", "circle", "triangle"] });
  assert.equal(m.checkpoint.format, "state_dict");
  assert.equal(m.scale, "n");
  assert.equal(m.nc, 3);
  assert.deepEqual(m.detect.anchors, reference.detect.anchors);
  assert.deepEqual(await decoded(m), want);
  m.dispose();
});

test("a checkpoint whose pickle would run a command is refused, naming the global, and nothing runs", async () => {
  const marker = path.join(dir, "PWNED");
  await assert.rejects(loadYolov5(path.join(dir, "evil.pt")), (e: Error) => {
    assert.equal(e.name, "UnpicklingError");
    assert.match(e.message, /posix\.system/);
    return true;
  });
  assert.equal(existsSync(marker), false);
});

test("broken files give clear errors: missing, not a checkpoint, truncated", async () => {
  await assert.rejects(loadYolov5(path.join(dir, "nope.pt")), /No such file or directory: '.*nope\.pt'/);
  const text = path.join(dir, "notes.pt");
  writeFileSync(text, "these are not weights\n");
  await assert.rejects(loadYolov5(text), (e: Error) => /BadZipFile|UnpicklingError|TorchFileError/.test(e.name));
  const cut = path.join(dir, "cut.pt");
  writeFileSync(cut, readFileSync(BEST).subarray(0, 200_000));
  await assert.rejects(loadYolov5(cut), (e: Error) => /BadZipFile|TorchFileError/.test(e.name) && e.message.length > 10);
});
