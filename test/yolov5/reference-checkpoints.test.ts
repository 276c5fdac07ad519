// Real YOLOv5 v7.0 checkpoints against what PyTorch computed from them. Every folder
// test/fixtures/yolov5-*-run/ holding an outputs.json is checked the same way (its README in
// ../shared/reference lists the fields): a checkpoint of another scale, class count or image
// size dropped in there is tested without a line of code changing.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { loadYolov5, type LoadedYolov5 } from "../../src/toolkit/weights";
import { detect, val } from "../../src/toolkit/infer";
import { letterbox, readImageFile, toFloatImage } from "../../src/toolkit/data/index";
import { isImageFile } from "../../src/toolkit/data/image";

const FIXTURES = path.join(__dirname, "../../../test/fixtures");

interface Reference {
  weights?: string;
  dtype?: string;
  nc: number;
  names: Record<string, string>;
  params_unfused: number;
  stride: number[];
  decode_input_shape_nchw: number[];
  decoded_shape: number[];
  decoded_sum: number;
  decoded_first_rows: number[][];
  decoded_obj_top5: number[];
  "detect_conf0.25_iou0.45": Record<string, number[][]>;
  val: {
    conf_thres: number;
    iou_thres: number;
    batch_size: number;
    imgsz: number;
    P: number;
    R: number;
    mAP50: number;
    "mAP50-95": number;
    "per_class_mAP50-95": number[];
  };
}

const runs = readdirSync(FIXTURES).filter((d) => /^yolov5-.*-run$/.test(d) && existsSync(path.join(FIXTURES, d, "outputs.json")));

function findFile(dir: string, name: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return "";
}

before(async () => {
  await initBackend();
});

test("there is at least one reference run", () =>
  assert.ok(runs.length >= 1, `no test/fixtures/yolov5-*-run/outputs.json under ${FIXTURES}`));

for (const run of runs) {
  const dir = path.join(FIXTURES, run);
  const ref = JSON.parse(readFileSync(path.join(dir, "outputs.json"), "utf8")) as Reference;
  const weights = findFile(dir, ref.weights ?? "best.pt");
  const valImages = path.dirname(findFile(dir, Object.keys(ref["detect_conf0.25_iou0.45"])[0]));
  // detect.py's --imgsz: the long side of the letterboxed input PyTorch decoded (auto=True pads only the short side).
  const detectSize = Math.max(ref.decode_input_shape_nchw[2], ref.decode_input_shape_nchw[3]);
  let model: LoadedYolov5;

  test(`${run}: loads best.pt with the yaml, names, strides and parameters PyTorch has`, async () => {
    model = await loadYolov5(weights);
    assert.equal(model.nc, ref.nc);
    assert.deepEqual(
      model.names,
      Object.keys(ref.names)
        .sort((a, b) => +a - +b)
        .map((k) => ref.names[k]),
    );
    assert.deepEqual(model.stride, ref.stride);
    assert.equal(model.numParams(), ref.params_unfused);
    assert.equal(model.checkpoint.format, "train.py checkpoint");
    assert.equal(model.checkpoint.dtype, (ref.dtype ?? "torch.float16").replace(/^torch\./, ""));
  });

  test(`${run}: eval output of the first validation image equals PyTorch's (decoded shape, sum, first rows, top objectness)`, async () => {
    const first = readdirSync(valImages).filter(isImageFile).sort()[0];
    const im0 = await readImageFile(path.join(valImages, first));
    const { image } = await letterbox(im0, detectSize, { auto: true, stride: Math.max(...ref.stride) });
    assert.deepEqual([1, 3, image.height, image.width], ref.decode_input_shape_nchw);
    const x = tf.tensor4d(toFloatImage(image).data, [1, image.height, image.width, 3]);
    const decoded = tf.tidy(() => (model.forward(x) as [tf.Tensor, tf.Tensor[]])[0]);
    assert.deepEqual(decoded.shape, ref.decoded_shape);
    const rows = (await decoded.array()) as number[][][];
    const no = ref.decoded_shape[2];
    let sum = 0;
    for (const r of rows[0]) for (const v of r) sum += v;
    // fp16 weights in float32 on both sides: agreement to a few parts in 10^4 of the values.
    assert.ok(Math.abs(sum - ref.decoded_sum) <= 1e-4 * Math.abs(ref.decoded_sum), `sum ${sum} vs ${ref.decoded_sum}`);
    ref.decoded_first_rows.forEach((want, i) =>
      want.forEach((w, k) =>
        assert.ok(Math.abs(rows[0][i][k] - w) <= 2e-3 * Math.max(1, Math.abs(w)), `row ${i} col ${k}: ${rows[0][i][k]} vs ${w}`),
      ),
    );
    const obj = rows[0]
      .map((r) => r[4])
      .sort((a, b) => b - a)
      .slice(0, ref.decoded_obj_top5.length);
    obj.forEach((o, i) => assert.ok(Math.abs(o - ref.decoded_obj_top5[i]) <= 1e-3, `objectness #${i}: ${o} vs ${ref.decoded_obj_top5[i]}`));
    assert.equal(no, 5 + ref.nc);
    tf.dispose([x, decoded]);
  });

  test(`${run}: lab.detect gives detect.py's rows for every validation image (conf 0.25, IoU 0.45)`, async () => {
    const want = ref["detect_conf0.25_iou0.45"];
    const files = Object.keys(want).sort();
    const got = await detect(
      model,
      files.map((f) => path.join(valImages, f)),
      { imgsz: detectSize, conf: 0.25, iou: 0.45 },
    );
    files.forEach((f, i) => {
      const w = want[f],
        g = got[i];
      assert.equal(
        g.length,
        w.length,
        `${f}: ${g.length} detections, detect.py ${w.length}\n ours ${JSON.stringify(g)}\n want ${JSON.stringify(w)}`,
      );
      w.forEach((row, k) => {
        for (let c = 0; c < 4; c++) assert.ok(Math.abs(g[k][c] - row[c]) <= 1, `${f} det ${k} coord ${c}: ${g[k][c]} vs ${row[c]}`);
        assert.ok(Math.abs(g[k][4] - row[4]) <= 1e-3, `${f} det ${k} conf ${g[k][4]} vs ${row[4]}`);
        assert.equal(g[k][5], row[5], `${f} det ${k} class`);
      });
    });
  });

  test(`${run}: lab.val reproduces val.py's P, R, mAP50, mAP50-95 and per-class mAP50-95 to 1e-3`, async () => {
    const v = ref.val;
    const res = await val(model, path.join(dir, "data.yaml"), {
      imgsz: v.imgsz,
      batchSize: v.batch_size,
      confThres: v.conf_thres,
      iouThres: v.iou_thres,
      warn: () => {},
      labelCache: false,
      progress: false,
    });
    for (const k of ["P", "R", "mAP50", "mAP50-95"] as const) {
      assert.ok(Math.abs(res[k] - v[k]) <= 1e-3, `${k}: ${res[k]} vs val.py ${v[k]}`);
    }
    assert.equal(res.perClass.length, v["per_class_mAP50-95"].length);
    res.perClass.forEach((c, i) =>
      assert.ok(
        Math.abs(c["mAP50-95"] - v["per_class_mAP50-95"][i]) <= 1e-3,
        `class ${c.name}: ${c["mAP50-95"]} vs ${v["per_class_mAP50-95"][i]}`,
      ),
    );
  });
}
