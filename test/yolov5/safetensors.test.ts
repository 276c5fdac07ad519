// safetensors out and back in: a model saved here loads back with identical outputs, and the
// file is what PyTorch's side expects: YOLOv5's state_dict names, NCHW layouts, the Detect
// anchors buffer, and the same key set as the real best.pt's state_dict (checked by a parser
// written in Python from the format's spec, not by our own reader).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { yolov5 } from "../../src/toolkit/nn";
import { loadYolov5, saveSafetensors, loadSafetensors } from "../../src/toolkit/weights";
import { readTorchFile, moduleStateDict, pyGet, decodeSafetensors, encodeSafetensors } from "../../src/toolkit/io";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");
let dir: string;
before(async () => {
  await initBackend();
  dir = mkdtempSync(path.join(tmpdir(), "tfjs-lab-st-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Header of a safetensors file, parsed by Python from the spec: {name: [dtype, shape]} and the metadata. */
function pythonHeader(file: string): { tensors: Record<string, [string, number[]]>; metadata: Record<string, string> } {
  const script = `
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    h = json.loads(f.read(n))
    body = f.read()
meta = h.pop("__metadata__", {})
end = 0
for k, v in h.items():
    a, b = v["data_offsets"]
    size = {"F32": 4, "F16": 2, "I64": 8}[v["dtype"]]
    count = 1
    for d in v["shape"]: count *= d
    assert b - a == size * count, k
    end = max(end, b)
assert end == len(body)
print(json.dumps({"tensors": {k: [v["dtype"], v["shape"]] for k, v in h.items()}, "metadata": meta}))
`;
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" }));
}

async function evalOutput(model: ReturnType<typeof yolov5>, x: tf.Tensor4D): Promise<Float32Array> {
  model.eval();
  const decoded = tf.tidy(() => (model.forward(x) as [tf.Tensor, tf.Tensor[]])[0]);
  const data = (await decoded.data()) as Float32Array;
  decoded.dispose();
  return data;
}

test("a model saved as safetensors loads back (lab.loadYolov5 and loadSafetensors) with identical outputs", async () => {
  const model = yolov5({ scale: "n", nc: 5 });
  model.names = ["a", "b", "c", "d", "e"];
  // Move the running statistics and anchors off their defaults so the round trip has something to carry.
  model.train();
  model.forward(tf.randomUniform([2, 64, 64, 3]) as tf.Tensor4D);
  model.setAnchors([
    [12, 14, 18, 31, 35, 25],
    [31, 62, 63, 46, 60, 120],
    [117, 91, 157, 199, 374, 327],
  ]);
  const file = path.join(dir, "model.safetensors");
  await saveSafetensors(model, file);
  const x = tf.randomUniform([1, 96, 128, 3]) as tf.Tensor4D;
  const want = await evalOutput(model, x);
  const loaded = await loadYolov5(file);
  assert.deepEqual(loaded.names, model.names);
  assert.deepEqual(loaded.detect.anchors, model.detect.anchors);
  assert.deepEqual(await evalOutput(loaded, x), want);
  const fresh = yolov5({ scale: "n", nc: 5 });
  await loadSafetensors(fresh, file);
  assert.deepEqual(await evalOutput(fresh, x), want);
  [model, loaded, fresh].forEach((m) => m.dispose());
  x.dispose();
});

test("the file has best.pt's state_dict names and PyTorch layouts (NCHW), as Python reads it", async () => {
  const ckpt = await readTorchFile(BEST);
  const torchState = moduleStateDict(pyGet(ckpt, "model"));
  const model = await loadYolov5(BEST);
  const file = path.join(dir, "best.safetensors");
  await saveSafetensors(model, file);
  const { tensors, metadata } = pythonHeader(file);
  assert.deepEqual(Object.keys(tensors).sort(), [...torchState.keys()].sort());
  for (const [name, t] of torchState) assert.deepEqual(tensors[name][1], t.shape, name);
  assert.equal(tensors["model.0.conv.weight"][0], "F32");
  assert.equal(tensors["model.0.bn.num_batches_tracked"][0], "I64");
  assert.equal(metadata.format, "pt");
  assert.equal(JSON.parse(metadata.yolov5_yaml).nc, 3);
  // And it loads back to the same outputs as best.pt.
  const back = await loadYolov5(file);
  const x = tf.randomUniform([1, 160, 160, 3]) as tf.Tensor4D;
  assert.deepEqual(await evalOutput(back, x), await evalOutput(model, x));
  [model, back].forEach((m) => m.dispose());
  x.dispose();
});

test("loading a state_dict of another shape fails as PyTorch's load_state_dict does, and leaves the model as it was", async () => {
  const small = yolov5({ scale: "n", nc: 3 });
  const file = path.join(dir, "n3.safetensors");
  await saveSafetensors(small, file);
  const other = yolov5({ scale: "n", nc: 7 });
  const before = await other.model.items[24].namedParameters()[0][1].data();
  await assert.rejects(loadSafetensors(other, file), (e: Error) => {
    assert.equal(e.name, "RuntimeError");
    assert.match(
      e.message,
      /^Error\(s\) in loading state_dict for YOLOv5:\n\tsize mismatch for model\.24\.m\.0\.weight: copying a param with shape torch\.Size\(\[24, 64, 1, 1\]\) from checkpoint, the shape in current model is torch\.Size\(\[36, 64, 1, 1\]\)\./,
    );
    return true;
  });
  assert.deepEqual(await other.model.items[24].namedParameters()[0][1].data(), before);
  [small, other].forEach((m) => m.dispose());
});

test("an anchors buffer of the wrong shape is refused before any weight loads (loadSafetensors and lab.loadYolov5)", async () => {
  const small = yolov5({ scale: "n", nc: 3 });
  const good = path.join(dir, "n3-anchors.safetensors");
  await saveSafetensors(small, good);
  const { tensors, metadata } = decodeSafetensors(readFileSync(good), good);
  const edited = [...tensors].map(([name, t]) =>
    name === "model.24.anchors" ? { name, dtype: t.dtype, shape: [3, 2, 2], data: (t.data as Float32Array).slice(0, 12) } : { name, ...t },
  );
  const bad = path.join(dir, "n3-bad-anchors.safetensors");
  writeFileSync(bad, encodeSafetensors(edited, metadata));
  const other = yolov5({ scale: "n", nc: 3 });
  const weightsBefore = await other.model.items[0].namedParameters()[0][1].data();
  const anchorsBefore = other.detect.anchors;
  const refused = (e: Error) => {
    assert.equal(e.name, "ValueError");
    assert.match(e.message, /model\.24\.anchors has shape \[3, 2, 2\] but the yaml's Detect has 3 levels of 3 anchors/);
    return true;
  };
  await assert.rejects(loadSafetensors(other, bad), refused);
  assert.deepEqual(await other.model.items[0].namedParameters()[0][1].data(), weightsBefore);
  assert.deepEqual(other.detect.anchors, anchorsBefore);
  await assert.rejects(loadYolov5(bad), refused);
  [small, other].forEach((m) => m.dispose());
});
