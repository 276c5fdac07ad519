// YOLOv5 v7.0 detection models (models/yolo.py's DetectionModel), built from a model yaml:
// the yolov5s.yaml table at one of the five scales, or the yaml stored in a checkpoint.
import type * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { ModuleList } from "./common";
import { DEFAULT_ANCHORS, Detect } from "./detect";
import { frameworkError } from "./errors";
import { type BuiltLayer, LayerSpec, YoloModelYaml, makeDivisible, parseModel, runLayers } from "./parse-model";

export { LayerSpec, YoloModelYaml, makeDivisible, runLayers };

export type YoloScale = "n" | "s" | "m" | "l" | "x";

/** depth_multiple, width_multiple of yolov5{n,s,m,l,x}.yaml. */
export const YOLO_SCALES: Record<YoloScale, { depth: number; width: number }> = {
  n: { depth: 0.33, width: 0.25 },
  s: { depth: 0.33, width: 0.5 },
  m: { depth: 0.67, width: 0.75 },
  l: { depth: 1.0, width: 1.0 },
  x: { depth: 1.33, width: 1.25 },
};

/** backbone + head of yolov5s.yaml (v7.0); channels before the width multiple. */
export const YOLOV5_BACKBONE: LayerSpec[] = [
  [-1, 1, "Conv", [64, 6, 2, 2]], // 0-P1/2
  [-1, 1, "Conv", [128, 3, 2]], // 1-P2/4
  [-1, 3, "C3", [128]],
  [-1, 1, "Conv", [256, 3, 2]], // 3-P3/8
  [-1, 6, "C3", [256]],
  [-1, 1, "Conv", [512, 3, 2]], // 5-P4/16
  [-1, 9, "C3", [512]],
  [-1, 1, "Conv", [1024, 3, 2]], // 7-P5/32
  [-1, 3, "C3", [1024]],
  [-1, 1, "SPPF", [1024, 5]], // 9
];
export const YOLOV5_HEAD: LayerSpec[] = [
  [-1, 1, "Conv", [512, 1, 1]],
  [-1, 1, "nn.Upsample", [null, 2, "nearest"]],
  [[-1, 6], 1, "Concat", [1]], // cat backbone P4
  [-1, 3, "C3", [512, false]], // 13
  [-1, 1, "Conv", [256, 1, 1]],
  [-1, 1, "nn.Upsample", [null, 2, "nearest"]],
  [[-1, 4], 1, "Concat", [1]], // cat backbone P3
  [-1, 3, "C3", [256, false]], // 17 (P3/8-small)
  [-1, 1, "Conv", [256, 3, 2]],
  [[-1, 14], 1, "Concat", [1]], // cat head P4
  [-1, 3, "C3", [512, false]], // 20 (P4/16-medium)
  [-1, 1, "Conv", [512, 3, 2]],
  [[-1, 10], 1, "Concat", [1]], // cat head P5
  [-1, 3, "C3", [1024, false]], // 23 (P5/32-large)
  [[17, 20, 23], 1, "Detect", ["nc", "anchors"]], // Detect(P3, P4, P5)
];

/** models/yolov5{n,s,m,l,x}.yaml: the shared table with the scale's multiples. */
export function yolov5Yaml(scale: YoloScale, nc = 80, anchors: number[][] = DEFAULT_ANCHORS): YoloModelYaml {
  const { depth, width } = YOLO_SCALES[scale];
  return { nc, depth_multiple: depth, width_multiple: width, anchors, backbone: YOLOV5_BACKBONE, head: YOLOV5_HEAD };
}

/** The scale whose multiples a yaml uses, if it is one of the five. */
export function scaleOfYaml(cfg: Pick<YoloModelYaml, "depth_multiple" | "width_multiple">): YoloScale | undefined {
  return (Object.keys(YOLO_SCALES) as YoloScale[]).find(
    (k) => YOLO_SCALES[k].depth === cfg.depth_multiple && YOLO_SCALES[k].width === cfg.width_multiple,
  );
}

/**
 * yolov5's check_img_size: rounds each size up to a multiple of the stride (at least floor).
 * Returns the new size and, when it changed, YOLOv5's warning line (the caller prints it):
 * `WARNING ⚠️ --img-size 400 must be multiple of max stride 32, updating to 416`.
 */
export function checkImgSize<T extends number | number[]>(imgsz: T, stride = 32, floor = 0): { size: T; warning?: string } {
  const s = Math.trunc(stride);
  const round = (x: number) => Math.max(makeDivisible(x, s), floor);
  const show = (v: number | number[]) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));
  const size = (Array.isArray(imgsz) ? imgsz.map(round) : round(imgsz as number)) as T;
  const changed = Array.isArray(imgsz) ? imgsz.some((v, i) => v !== (size as number[])[i]) : size !== imgsz;
  return changed
    ? { size, warning: `WARNING ⚠️ --img-size ${show(imgsz)} must be multiple of max stride ${s}, updating to ${show(size)}` }
    : { size };
}

/** Layers of the standard table at a scale's multiples (the classifier reuses the backbone). */
export function buildLayers(
  specs: LayerSpec[],
  depth: number,
  width: number,
  nc: number,
  inputChannels: number,
  anchors: number[][],
): BuiltLayer[] {
  return parseModel({ nc, depth_multiple: depth, width_multiple: width, anchors, backbone: specs, head: [] }, { inputChannels });
}

export interface YoloOptions {
  scale?: YoloScale;
  nc?: number;
  inputChannels?: number;
  /** Pixels per level, [w0,h0,w1,h1,w2,h2] (default: yolov5's P3/P4/P5 anchors). */
  anchors?: number[][];
}

/** What forward returns: train, the three maps; eval, [decoded, maps]; export, [decoded]. */
export type YoloOutput = tf.Tensor[] | [tf.Tensor, tf.Tensor[]];

/**
 * A YOLOv5 v7.0 detector. Input NHWC [bs, H, W, 3] with H and W multiples of the largest stride.
 * Layers are named model.0 ... model.N as in PyTorch's state_dict.
 */
export class YOLOv5 extends Module {
  readonly model: ModuleList;
  private readonly built: BuiltLayer[];
  /** The model yaml it was built from (nc and anchors as given to the constructor). */
  readonly yaml: YoloModelYaml;
  /** Where the weights came from, for a model loaded from a file (lab.loadYolov5). */
  checkpoint?: unknown;
  /** yolov5n..x when the yaml's multiples are one of the five scales, else undefined. */
  readonly scale: YoloScale | undefined;
  readonly nc: number;
  readonly inputChannels: number;
  /** Class names by index (a checkpoint's `names`; "class0", ... otherwise). */
  names: string[];

  constructor(cfg: YoloModelYaml, opts: { nc?: number; inputChannels?: number; anchors?: number[][]; names?: string[] } = {}) {
    super();
    this.nc = opts.nc ?? cfg.nc;
    this.inputChannels = opts.inputChannels ?? cfg.ch ?? 3;
    this.yaml = { ...cfg, nc: this.nc, ...(opts.anchors ? { anchors: opts.anchors } : {}) };
    this.scale = scaleOfYaml(cfg);
    this.built = parseModel(cfg, { nc: this.nc, inputChannels: this.inputChannels, anchors: opts.anchors });
    if (!(this.built[this.built.length - 1].module instanceof Detect))
      throw frameworkError("ValueError", "model yaml: the last layer must be Detect");
    this.model = this.add("model", new ModuleList(this.built.map((b) => b.module)));
    this.names = opts.names ?? Array.from({ length: this.nc }, (_, i) => `class${i}`);
    this.detect.initializeBiases();
  }

  get detect(): Detect {
    return this.built[this.built.length - 1].module as Detect;
  }

  /** New anchors in pixels, [w0,h0, w1,h1, ...] per level (a checkpoint's, or autoanchor's). */
  setAnchors(anchors: number[][]): void {
    this.detect.setAnchors(anchors);
    (this as { yaml: YoloModelYaml }).yaml = { ...this.yaml, anchors: anchors.map((l) => [...l]) };
  }

  /** Pixels per cell of each detection level (DetectionModel.stride), e.g. [8, 16, 32]. */
  get stride(): number[] {
    return this.detect.strides;
  }

  forward(x: tf.Tensor4D): YoloOutput {
    return runLayers(this.built, x) as YoloOutput;
  }

  /** train()/eval() leave export mode, as a fresh model.train()/eval() in PyTorch would not set it. */
  train(mode = true): this {
    super.train(mode);
    this.detect.exportMode = false;
    return this;
  }

  /** Eval mode that returns only the decoded tensor (Detect.export = True in yolov5's export.py). */
  export(): this {
    this.eval();
    this.detect.exportMode = true;
    return this;
  }
}

/** yolov5({ scale: "n", nc: 80 }): a YOLOv5 v7.0 detector at one of the five scales. */
export function yolov5(opts: YoloOptions = {}): YOLOv5 {
  const scale = opts.scale ?? "s";
  if (!(scale in YOLO_SCALES)) throw frameworkError("ValueError", `unknown YOLOv5 scale '${scale}': expected one of n, s, m, l, x`);
  return new YOLOv5(yolov5Yaml(scale, opts.nc ?? 80, opts.anchors ?? DEFAULT_ANCHORS), { inputChannels: opts.inputChannels ?? 3 });
}
