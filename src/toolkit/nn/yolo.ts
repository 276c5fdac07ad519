// YOLOv5 v7.0 detection models built from the yolov5s.yaml layout and the scale table,
// the way models/yolo.py's parse_model builds them.
import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { C3, Concat, Conv, ModuleList, SPPF } from "./common";
import { Upsample } from "./layers";
import { DEFAULT_ANCHORS, DEFAULT_STRIDES, Detect } from "./detect";
import { frameworkError } from "./errors";

export type YoloScale = "n" | "s" | "m" | "l" | "x";

/** depth_multiple, width_multiple of yolov5{n,s,m,l,x}.yaml. */
export const YOLO_SCALES: Record<YoloScale, { depth: number; width: number }> = {
  n: { depth: 0.33, width: 0.25 },
  s: { depth: 0.33, width: 0.5 },
  m: { depth: 0.67, width: 0.75 },
  l: { depth: 1.0, width: 1.0 },
  x: { depth: 1.33, width: 1.25 },
};

/** One yaml row: [from, number, module, args]. */
export type LayerSpec = [from: number | number[], n: number, module: "Conv" | "C3" | "SPPF" | "Upsample" | "Concat" | "Detect", args: (number | boolean)[]];

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
  [-1, 1, "Upsample", [2]],
  [[-1, 6], 1, "Concat", [1]], // cat backbone P4
  [-1, 3, "C3", [512, false]], // 13
  [-1, 1, "Conv", [256, 1, 1]],
  [-1, 1, "Upsample", [2]],
  [[-1, 4], 1, "Concat", [1]], // cat backbone P3
  [-1, 3, "C3", [256, false]], // 17 (P3/8-small)
  [-1, 1, "Conv", [256, 3, 2]],
  [[-1, 14], 1, "Concat", [1]], // cat head P4
  [-1, 3, "C3", [512, false]], // 20 (P4/16-medium)
  [-1, 1, "Conv", [512, 3, 2]],
  [[-1, 10], 1, "Concat", [1]], // cat head P5
  [-1, 3, "C3", [1024, false]], // 23 (P5/32-large)
  [[17, 20, 23], 1, "Detect", []], // Detect(P3, P4, P5)
];

/** yolov5's make_divisible: the smallest multiple of divisor that is >= x. */
export function makeDivisible(x: number, divisor: number): number {
  return Math.ceil(x / divisor) * divisor;
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

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A built layer with where its input comes from (parse_model's m.f). */
interface Built {
  from: number | number[];
  module: Module;
}

/**
 * parse_model: builds layers in order, scaling repeats by depth and channels by width,
 * and returns them with the channels each one outputs.
 */
export function buildLayers(specs: LayerSpec[], depth: number, width: number, nc: number, inputChannels: number,
  anchors: number[][] | number[][][]): Built[] {
  const ch: number[] = [inputChannels];
  const chOf = (f: number) => (f === -1 ? ch[ch.length - 1] : ch[f + 1]);
  return specs.map(([from, n0, kind, args]) => {
    const n = n0 > 1 ? Math.max(pyRound(n0 * depth), 1) : n0;
    const c1 = typeof from === "number" ? chOf(from) : 0;
    const c2 = typeof args[0] === "number" ? makeDivisible((args[0] as number) * width, 8) : 0;
    let module: Module;
    let out = c1;
    switch (kind) {
      case "Conv": module = new Conv(c1, c2, ...(args.slice(1) as number[])); out = c2; break;
      case "C3": module = new C3(c1, c2, n, args[1] === undefined ? true : Boolean(args[1])); out = c2; break;
      case "SPPF": module = new SPPF(c1, c2, args[1] as number); out = c2; break;
      case "Upsample": module = new Upsample(args[0] as number); break;
      case "Concat": module = new Concat(args[0] as number); out = (from as number[]).reduce((s, f) => s + chOf(f), 0); break;
      case "Detect": module = new Detect(nc, anchors, (from as number[]).map(chOf), DEFAULT_STRIDES); break;
    }
    ch.push(out);
    return { from, module };
  });
}

/**
 * Runs built layers in order, feeding each from its `from` (parse_model's _forward_once).
 * Memory is given back as PyTorch gives it back: a layer's own intermediates when it returns
 * (what backward needs stays, held by the gradient tape), and a layer's output once the last
 * layer that reads it has run. tfjs would otherwise keep every intermediate until the
 * enclosing tidy ends, and the memory figures (AutoBatch, the allocator model) would count
 * garbage PyTorch never holds.
 */
export function runLayers(layers: Built[], x: tf.Tensor): unknown {
  const lastRead = layers.map(() => -1);
  layers.forEach(({ from }, i) => {
    for (const f of [from].flat()) {
      const source = f === -1 ? i - 1 : f;
      if (source >= 0) lastRead[source] = Math.max(lastRead[source], i);
    }
  });
  const outputs: tf.TensorContainer[] = [];
  let y: tf.TensorContainer = x;
  layers.forEach(({ from, module }, i) => {
    const input = typeof from === "number"
      ? (from === -1 ? y : outputs[from])
      : from.map((f) => (f === -1 ? y : outputs[f]));
    y = tf.tidy(() => module.forward(input as tf.Tensor) as tf.TensorContainer);
    outputs.push(y);
    const done = outputs.flatMap((o, j) => (lastRead[j] === i ? [o] : []));
    if (done.length > 0) {
      // A layer may return its input as is: keep whatever is still to be read.
      const alive = new Set(tf.tensor_util.getTensorsInContainer([x, y, ...outputs.filter((_, j) => lastRead[j] > i)]));
      tf.dispose(tf.tensor_util.getTensorsInContainer(done).filter((t) => !alive.has(t)));
    }
  });
  return y;
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
 * A YOLOv5 v7.0 detector. Input NHWC [bs, H, W, 3] with H and W multiples of 32.
 * Layers are named model.0 ... model.24 as in PyTorch's state_dict.
 */
export class YOLOv5 extends Module {
  readonly model: ModuleList;
  private readonly built: Built[];
  readonly stride = DEFAULT_STRIDES;

  constructor(readonly scale: YoloScale, readonly nc: number, readonly inputChannels: number, anchors: number[][]) {
    super();
    const { depth, width } = YOLO_SCALES[scale];
    this.built = buildLayers([...YOLOV5_BACKBONE, ...YOLOV5_HEAD], depth, width, nc, inputChannels, anchors);
    this.model = this.add("model", new ModuleList(this.built.map((b) => b.module)));
    this.detect.initializeBiases();
  }

  get detect(): Detect {
    return this.built[this.built.length - 1].module as Detect;
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
  return new YOLOv5(scale, opts.nc ?? 80, opts.inputChannels ?? 3, opts.anchors ?? DEFAULT_ANCHORS);
}
