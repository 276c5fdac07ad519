// title: Review a YOLOv5 experiment: its run folder, its checkpoint, its detections and its mAP
// %% [markdown]
// # Review a YOLOv5 experiment
//
// A user comes with what YOLOv5 gave them: a `runs/train/exp*/` folder with `results.csv`,
// `opt.yaml`, `hyp.yaml` and `weights/best.pt`. This notebook reviews one, made by YOLOv5
// v7.0's own `train.py` (PyTorch 1.13, CPU) on a small synthetic dataset of squares, circles
// and triangles (160×160 images, 3 classes, yolov5n, 40 epochs), shipped in `data/`:
//
//     python train.py --data data.yaml --cfg models/yolov5n.yaml --weights '' --img 160 \
//         --batch 16 --epochs 40 --device cpu --workers 0 --noplots --name shapes-n
//
// 1. the run folder: its curves, options and hyper-parameters;
// 2. `best.pt` opened as PyTorch saved it (a zip holding a pickle of the whole model, fp16),
//    read without running any code from it;
// 3. detections on validation images, drawn;
// 4. `lab.val` next to the figures YOLOv5's `val.py` printed for the same checkpoint, and a
//    proof that they agree.
// %%
%backend
// %% [markdown]
// ## 1. The run folder
// `lab.runs.load` takes a folder or a pattern (`runs/train/exp*`) and returns one entry per
// run: `results` is YOLOv5's `results.csv` as an arquero table (its space-padded column names
// trimmed), `opt` and `hyp` the parsed yaml files, `weights` the checkpoints present.
// %%
const [run] = lab.runs.load("data/runs/train/shapes-n");
run
// %%
run.results.select("epoch", "train/box_loss", "train/obj_loss", "train/cls_loss", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95").slice(-5)
// %% [markdown]
// The curves as `train.py` would have plotted them (it ran with `--noplots`). `%loss --yolo`
// overlays the same curves next to this session's own training runs; here there is one run.
// %%
%loss --yolo data/runs/train/* --metric mAP_0.5:0.95
// %% [markdown]
// What the run was trained with: the options that are not YOLOv5's defaults are the ones a
// reviewer asks about first (`--img 160`, `--epochs 40`, `--batch 16`).
// %%
console.log(`img ${run.opt.imgsz}, batch ${run.opt.batch_size}, epochs ${run.opt.epochs}, cfg ${run.opt.cfg}, optimizer ${run.opt.optimizer}`);
console.log(`lr0 ${run.hyp.lr0}, momentum ${run.hyp.momentum}, weight_decay ${run.hyp.weight_decay}, mosaic ${run.hyp.mosaic}`);
// %% [markdown]
// ## 2. The checkpoint
// `lab.loadYolov5` reads `best.pt` with a pickle reader that only builds data: the globals
// `torch.save` writes for tensors and modules are allowed, anything else is refused by name.
// The model is rebuilt from the yaml stored in the checkpoint (depth 0.33, width 0.25, `nc` 3,
// the anchors from `Detect`'s own buffer), and every weight is loaded from fp16. 1,767,976
// parameters: what PyTorch counts for this model.
// %%
const model = await lab.loadYolov5(run.weights[0]);
console.log(`${model.checkpoint.format}: weights from '${model.checkpoint.weightsFrom}', ${model.checkpoint.dtype}, classes ${model.names.join(", ")}`);
console.log(`${model.numParams().toLocaleString("en-US")} parameters, strides ${model.stride.join(", ")}`);
%summary model [1,160,160,3] --depth 2
// %% [markdown]
// ## 3. Detections
// `lab.detect` does what `detect.py` does: letterbox to a multiple of the stride, the eval
// forward, `non_max_suppression` (conf 0.25, IoU 0.45), boxes scaled back onto the original
// image and rounded. The value is per image the rows `[x1, y1, x2, y2, conf, class]`; as a
// cell's value it shows the images with their boxes.
// %%
const images = ["0000.jpg", "0001.jpg", "0002.jpg", "0003.jpg"].map((f) => `data/shapes/images/val/${f}`);
const dets = await lab.detect(model, images, { imgsz: 160, conf: 0.25, iou: 0.45 });
dets
// %%
const reference = JSON.parse(require("fs").readFileSync("data/shapes-n-val-py-outputs.json", "utf8"));
console.log("ours     0000.jpg:", JSON.stringify(dets[0].map((r) => [...r.slice(0, 4), +r[4].toFixed(4), r[5]])));
console.log("detect.py 0000.jpg:", JSON.stringify(reference["detect_conf0.25_iou0.45"]["0000.jpg"]));
// %% [markdown]
// ## 4. Validation, as `val.py` does it
// `lab.val` reproduces `val.py`: rectangular batches (each padded by half a stride, so these
// 160×160 images run at 192×192), conf 0.001, IoU 0.6, multi-label NMS, predictions and labels
// scaled back to each image, matched at the ten IoU thresholds 0.5:0.95, and `ap_per_class`.
// %%
const ours = await lab.val(model, "data/shapes.yaml", { imgsz: 160, batchSize: 32 });
ours
// %% [markdown]
// `val.py` on the same checkpoint (`val.run(data, weights, batch_size=32, imgsz=160)`), from
// `data/shapes-n-val-py-outputs.json`, next to ours:
// %%
const vp = reference.val;
const rows = [
  { metric: "P", "val.py": vp.P, "lab.val": ours.P },
  { metric: "R", "val.py": vp.R, "lab.val": ours.R },
  { metric: "mAP50", "val.py": vp.mAP50, "lab.val": ours.mAP50 },
  { metric: "mAP50-95", "val.py": vp["mAP50-95"], "lab.val": ours["mAP50-95"] },
  ...ours.perClass.map((c, i) => ({ metric: `mAP50-95 ${c.name}`, "val.py": vp["per_class_mAP50-95"][i], "lab.val": c["mAP50-95"] })),
];
aq.from(rows).derive({ difference: aq.escape((d: { "val.py": number; "lab.val": number }) => Math.abs(d["lab.val"] - d["val.py"])) })
// %% tags=["finding"]
const worst = Math.max(...rows.map((r) => Math.abs(r["lab.val"] - r["val.py"])));
if (!(worst <= 1e-3)) throw new Error(`lab.val differs from val.py by ${worst}`);
console.log(`lab.val agrees with val.py to ${worst.toExponential(1)} (<= 1e-3): mAP50 ${ours.mAP50.toFixed(4)}, mAP50-95 ${ours["mAP50-95"].toFixed(4)}`);
