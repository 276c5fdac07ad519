// YOLOv5-cls (models/yolo.py ClassificationModel, v7.0): the detector's backbone with its
// last layer (SPPF, index 9) replaced by the Classify head.
import type * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { Classify, ModuleList } from "./common";
import { DEFAULT_ANCHORS } from "./detect";
import { buildLayers, runLayers, YOLO_SCALES, YOLOV5_BACKBONE, type YoloScale, makeDivisible } from "./yolo";
import { frameworkError } from "./errors";

export interface YoloClsOptions {
  scale?: YoloScale;
  nc?: number;
  inputChannels?: number;
  /** Dropout before the final Linear (yolov5 classify/train.py --dropout; 0 by default). */
  dropout?: number;
}

/** Logits [bs, nc] from NHWC images of any size (at least 32x32 so the last map is not empty). */
export class YOLOv5Cls extends Module {
  readonly model: ModuleList;
  private readonly built: { from: number | number[]; module: Module }[];

  constructor(
    readonly scale: YoloScale,
    readonly nc: number,
    inputChannels: number,
    dropout: number,
  ) {
    super();
    const { depth, width } = YOLO_SCALES[scale];
    // cutoff=10: layers 0..8 of the backbone, then Classify on the channels SPPF would have read.
    const backbone = buildLayers(YOLOV5_BACKBONE.slice(0, 9), depth, width, nc, inputChannels, DEFAULT_ANCHORS);
    const ch = makeDivisible((YOLOV5_BACKBONE[8][3][0] as number) * width, 8);
    this.built = [...backbone, { from: -1, module: new Classify(ch, nc, dropout) }];
    this.model = this.add("model", new ModuleList(this.built.map((b) => b.module)));
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    return runLayers(this.built, x) as tf.Tensor2D;
  }
}

/** yolov5cls({ scale: "s", nc: 10 }): a YOLOv5-cls classifier (logits; softmax is the loss's job). */
export function yolov5cls(opts: YoloClsOptions = {}): YOLOv5Cls {
  const scale = opts.scale ?? "s";
  if (!(scale in YOLO_SCALES)) throw frameworkError("ValueError", `unknown YOLOv5 scale '${scale}': expected one of n, s, m, l, x`);
  return new YOLOv5Cls(scale, opts.nc ?? 1000, opts.inputChannels ?? 3, opts.dropout ?? 0);
}
