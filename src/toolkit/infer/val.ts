// lab.val: YOLOv5's val.py (v7.0) on a data.yaml split: rectangular batches padded by half a
// stride, conf 0.001, IoU 0.6, multi-label NMS (max 300), predictions and labels scaled
// back to each original image, matched at the 10 IoU thresholds 0.5:0.95, and ap_per_class.
import type { YOLOv5 } from "../nn/yolo";
import { checkImgSize } from "../nn/yolo";
import { frameworkError } from "../nn/errors";
import { YoloDataset, collateDetection, type YoloDatasetOptions } from "../data/yolo-dataset";
import type { Warn } from "../data/errors";
import { boxIouFloat32, xywh2xyxy, type Box } from "../train/metrics/boxes";
import { matchDetections, IOU_THRESHOLDS_FLOAT32 } from "../train/metrics/detection-metrics";
import { apPerClass } from "../train/metrics/average-precision";
import { JUPYTER_DISPLAY, escapeHtml } from "../../display";
import { nmsRows } from "./nms";
import { decodedPredictions, inEvalMode } from "./predict";
import { scaleBoxes } from "./scale-boxes";

export interface ValOptions {
  /** Inference size (val.py --imgsz, default 640), rounded up to the model's stride. */
  imgsz?: number;
  /** Images per batch (default 32); with rect, each batch gets its own shape. */
  batchSize?: number;
  /** conf_thres, default 0.001. */
  confThres?: number;
  /** iou_thres, default 0.6. */
  iouThres?: number;
  /** max_det, default 300. */
  maxDet?: number;
  /** Split of data.yaml (default "val"). */
  task?: "train" | "val" | "test";
  /** Rectangular batches (default true, as val.py with a PyTorch model); pad 0.5 of a stride. */
  rect?: boolean;
  /** Treat every class as one (val.py --single-cls). */
  singleCls?: boolean;
  /** Read and write the dataset's label cache (default true, as val.py writes labels/val.cache). */
  labelCache?: boolean;
  /** The scan's progress line (default: shown in the cell); false for none. */
  progress?: YoloDatasetOptions["progress"];
  warn?: Warn;
}

export interface ValClassResult {
  class: number;
  name: string;
  /** Labels of this class (val.py's Instances). */
  instances: number;
  P: number;
  R: number;
  mAP50: number;
  "mAP50-95": number;
}

export interface ValResult {
  P: number;
  R: number;
  mAP50: number;
  "mAP50-95": number;
  /** Per class with labels, ascending class id. */
  perClass: ValClassResult[];
  images: number;
  instances: number;
  /** The shapes batches ran at, [h, w] each. */
  batchShapes: [number, number][];
}

/** `await lab.val(model, "data.yaml", { imgsz: 640, batchSize: 32 })`. */
export async function val(model: YOLOv5, dataYaml: string, opts: ValOptions = {}): Promise<ValResult> {
  const stride = Math.max(...model.stride);
  const imgsz = checkImgSize(opts.imgsz ?? 640, stride).size;
  const batchSize = opts.batchSize ?? 32;
  const rect = opts.rect ?? true;
  const ds = await YoloDataset.open(dataYaml, {
    split: opts.task ?? "val",
    imgSize: imgsz,
    stride,
    rect,
    batchSize,
    pad: rect ? 0.5 : 0,
    warn: opts.warn,
    labelCache: opts.labelCache,
    progress: opts.progress,
  });
  const names = ds.names;
  if (!opts.singleCls && names.length !== model.nc) {
    throw frameworkError(
      "AssertionError",
      `${model.checkpoint ? "the checkpoint" : "the model"} has ${model.nc} classes but ${dataYaml} names ${names.length}. What to do: validate on the dataset the model was trained for, or pass singleCls.`,
    );
  }
  const tp: boolean[][] = [],
    conf: number[] = [],
    predCls: number[] = [],
    targetCls: number[] = [];
  const batchShapes: [number, number][] = [];
  await inEvalMode(model, async () => {
    for (let start = 0; start < ds.length; start += batchSize) {
      const items = [];
      for (let i = start; i < Math.min(start + batchSize, ds.length); i++) items.push(await ds.get(i));
      const batch = collateDetection(items);
      batch.targets.dispose();
      const [, height, width] = batch.images.shape;
      batchShapes.push([height, width]);
      const { data, bs, n, no } = await decodedPredictions(model, batch.images);
      for (let b = 0; b < bs; b++) {
        const item = items[b];
        const rows = nmsRows(data.subarray(b * n * no, (b + 1) * n * no), n, no, {
          confThres: opts.confThres ?? 0.001,
          iouThres: opts.iouThres ?? 0.6,
          multiLabel: true,
          agnostic: opts.singleCls,
          maxDet: opts.maxDet ?? 300,
        });
        if (opts.singleCls) for (const r of rows) r[5] = 0;
        const { original, ratio, pad } = item.shapes;
        const ratioPad: [[number, number], [number, number]] = [ratio, pad];
        // Labels: normalised xywh on the batch image -> pixels -> corners -> the original image.
        const labels = [];
        for (let k = 0; k < item.labels.shape[0]; k++) {
          const [c, x, y, w, h] = item.labels.data.subarray(k * 5, k * 5 + 5);
          labels.push({ cls: opts.singleCls ? 0 : c, box: xywh2xyxy([x * width, y * height, w * width, h * height]) as number[] });
        }
        scaleBoxes(
          [height, width],
          labels.map((l) => l.box),
          original,
          ratioPad,
        );
        scaleBoxes([height, width], rows, original, ratioPad);
        if (!labels.length && !rows.length) continue;
        const dets = rows.map((r) => ({ box: [r[0], r[1], r[2], r[3]] as Box, conf: r[4], cls: r[5] }));
        tp.push(
          ...matchDetections(
            dets,
            labels.map((l) => ({ cls: l.cls, box: l.box as Box })),
            IOU_THRESHOLDS_FLOAT32,
            boxIouFloat32,
          ),
        );
        conf.push(...rows.map((r) => r[4]));
        predCls.push(...rows.map((r) => r[5]));
        targetCls.push(...labels.map((l) => l.cls));
      }
    }
  });
  return withDisplay(summarize(tp, conf, predCls, targetCls, opts.singleCls ? ["item"] : names, ds.length, batchShapes));
}

function summarize(
  tp: boolean[][],
  conf: number[],
  predCls: number[],
  targetCls: number[],
  names: string[],
  images: number,
  batchShapes: [number, number][],
): ValResult {
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
  if (!targetCls.length || !conf.length) {
    const perClass = [...new Set(targetCls)]
      .sort((a, b) => a - b)
      .map((c) => ({
        class: c,
        name: names[c] ?? String(c),
        instances: targetCls.filter((t) => t === c).length,
        P: 0,
        R: 0,
        mAP50: 0,
        "mAP50-95": 0,
      }));
    return { P: 0, R: 0, mAP50: 0, "mAP50-95": 0, perClass, images, instances: targetCls.length, batchShapes };
  }
  const r = apPerClass(tp, conf, predCls, targetCls);
  const ap50 = r.ap.map((row) => row[0]),
    ap = r.ap.map(mean);
  const perClass = r.classes.map((c, i) => ({
    class: c,
    name: names[c] ?? String(c),
    instances: targetCls.filter((t) => t === c).length,
    P: r.p[i],
    R: r.r[i],
    mAP50: ap50[i],
    "mAP50-95": ap[i],
  }));
  return {
    P: mean(r.p),
    R: mean(r.r),
    mAP50: mean(ap50),
    "mAP50-95": mean(ap),
    perClass,
    images,
    instances: targetCls.length,
    batchShapes,
  };
}

/** val.py's table (Class Images Instances P R mAP50 mAP50-95) as the result's display. */
function withDisplay(res: ValResult): ValResult {
  const f = (x: number) => x.toFixed(3);
  const row = (name: string, images: number, inst: number, p: number, r: number, m50: number, m: number) =>
    `${name.padStart(22)}${String(images).padStart(11)}${String(inst).padStart(11)}${f(p).padStart(11)}${f(r).padStart(11)}${f(m50).padStart(11)}${f(m).padStart(11)}`;
  const header = `${"Class".padStart(22)}${"Images".padStart(11)}${"Instances".padStart(11)}${"P".padStart(11)}${"R".padStart(11)}${"mAP50".padStart(11)}${"mAP50-95".padStart(11)}`;
  const lines = [
    header,
    row("all", res.images, res.instances, res.P, res.R, res.mAP50, res["mAP50-95"]),
    ...res.perClass.map((c) => row(c.name, res.images, c.instances, c.P, c.R, c.mAP50, c["mAP50-95"])),
  ];
  const text = lines.join("\n");
  Object.defineProperty(res, JUPYTER_DISPLAY, {
    value: () => ({ "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` }),
    enumerable: false,
  });
  return res;
}
