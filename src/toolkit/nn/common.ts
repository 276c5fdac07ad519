// YOLOv5's building blocks (models/common.py, v7.0), one short class each, on NHWC tensors.
import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { BatchNorm2d, Conv2d, Dropout, GlobalAvgPool, Linear, MaxPool2d, SiLU } from "./layers";
import { frameworkError } from "./errors";

/** YOLOv5's BatchNorm settings (utils/torch_utils.initialize_weights). */
export const YOLO_BN_EPS = 1e-3;
export const YOLO_BN_MOMENTUM = 0.03;

/** Padding that keeps the size at stride 1 ("same"): k // 2. */
export function autopad(k: number, p?: number): number {
  return p ?? Math.floor(k / 2);
}

/** A module that maps one tensor to one tensor (what Sequential chains). */
export interface TensorModule extends Module {
  forward(x: tf.Tensor): tf.Tensor;
}

/** nn.Sequential: children named 0, 1, 2, ... run in order. */
export class Sequential extends Module {
  private readonly items: TensorModule[];

  constructor(modules: TensorModule[]) {
    super();
    this.items = modules.map((m, i) => this.add(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.items.reduce((y, m) => m.forward(y), x);
  }
}

/** Conv: Conv2d (no bias) + BatchNorm2d(eps 1e-3, momentum 0.03) + SiLU. */
export class Conv extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly act: SiLU;

  constructor(c1: number, c2: number, k = 1, s = 1, p?: number) {
    super();
    this.conv = this.add("conv", new Conv2d(c1, c2, k, { stride: s, padding: autopad(k, p), bias: false }));
    this.bn = this.add("bn", new BatchNorm2d(c2, YOLO_BN_EPS, YOLO_BN_MOMENTUM));
    this.act = this.add("act", new SiLU());
  }

  // In training the SiLU runs inside the batch norm's op (fused where the backend can:
  // ops/batchnorm-train.ts); in eval mode, where nothing is fused, through `act`, so that
  // %summary's hooks see it as torchinfo sees PyTorch's.
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const z = this.conv.forward(x);
    return this.training ? this.bn.forward(z, "silu") : this.act.forward(this.bn.forward(z));
  }
}

/** Bottleneck: 1x1 then 3x3 Conv, with a residual add when shapes allow. */
export class Bottleneck extends Module {
  readonly cv1: Conv;
  readonly cv2: Conv;
  readonly shortcut: boolean;

  constructor(c1: number, c2: number, shortcut = true, e = 0.5) {
    super();
    const c = Math.trunc(c2 * e);
    this.cv1 = this.add("cv1", new Conv(c1, c, 1, 1));
    this.cv2 = this.add("cv2", new Conv(c, c2, 3, 1));
    this.shortcut = shortcut && c1 === c2;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const y = this.cv2.forward(this.cv1.forward(x));
    return this.shortcut ? tf.add(x, y) : y;
  }
}

/** C3: CSP bottleneck with 3 convolutions. */
export class C3 extends Module {
  readonly cv1: Conv;
  readonly cv2: Conv;
  readonly cv3: Conv;
  readonly m: Sequential;

  constructor(c1: number, c2: number, n = 1, shortcut = true, e = 0.5) {
    super();
    const c = Math.trunc(c2 * e);
    this.cv1 = this.add("cv1", new Conv(c1, c, 1, 1));
    this.cv2 = this.add("cv2", new Conv(c1, c, 1, 1));
    this.cv3 = this.add("cv3", new Conv(2 * c, c2, 1));
    this.m = this.add("m", new Sequential(Array.from({ length: n }, () => new Bottleneck(c, c, shortcut, 1.0))));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const a = this.m.forward(this.cv1.forward(x)) as tf.Tensor4D;
    return this.cv3.forward(tf.concat([a, this.cv2.forward(x)], 3));
  }
}

/** SPPF: spatial pyramid pooling (fast), three chained 5x5 max pools. */
export class SPPF extends Module {
  readonly cv1: Conv;
  readonly cv2: Conv;
  readonly m: MaxPool2d;

  constructor(c1: number, c2: number, k = 5) {
    super();
    const c = Math.trunc(c1 / 2);
    this.cv1 = this.add("cv1", new Conv(c1, c, 1, 1));
    this.cv2 = this.add("cv2", new Conv(c * 4, c2, 1, 1));
    this.m = this.add("m", new MaxPool2d(k, 1, Math.floor(k / 2)));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const a = this.cv1.forward(x);
    const y1 = this.m.forward(a);
    const y2 = this.m.forward(y1);
    return this.cv2.forward(tf.concat([a, y1, y2, this.m.forward(y2)], 3));
  }
}

/** SPP: spatial pyramid pooling, parallel max pools (5, 9, 13) concatenated with the input (yolov5-spp.yaml). */
export class SPP extends Module {
  readonly cv1: Conv;
  readonly cv2: Conv;
  readonly m: ModuleList<MaxPool2d>;

  constructor(c1: number, c2: number, k: number[] = [5, 9, 13]) {
    super();
    const c = Math.trunc(c1 / 2);
    this.cv1 = this.add("cv1", new Conv(c1, c, 1, 1));
    this.cv2 = this.add("cv2", new Conv(c * (k.length + 1), c2, 1, 1));
    this.m = this.add("m", new ModuleList(k.map((size) => new MaxPool2d(size, 1, Math.floor(size / 2)))));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const a = this.cv1.forward(x);
    return this.cv2.forward(tf.concat([a, ...this.m.items.map((m) => m.forward(a))], 3));
  }
}

/**
 * Focus: width-height into channels, then a Conv (YOLOv5 before v6.0). The four pixel phases
 * are concatenated in PyTorch's order: (even row, even col), (odd, even), (even, odd), (odd, odd).
 */
export class Focus extends Module {
  readonly conv: Conv;

  constructor(c1: number, c2: number, k = 1, s = 1, p?: number) {
    super();
    this.conv = this.add("conv", new Conv(c1 * 4, c2, k, s, p));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const phase = (r: number, col: number) => tf.stridedSlice(x, [0, r, col, 0], [b, h, w, c], [1, 2, 2, 1]) as tf.Tensor4D;
    return this.conv.forward(tf.concat([phase(0, 0), phase(1, 0), phase(0, 1), phase(1, 1)], 3));
  }
}

/**
 * Concat along channels (PyTorch's dimension 1; the last axis in NHWC). Checks the other
 * sizes first, in NCHW order, so a mismatch reads exactly as torch.cat reports it.
 */
export class Concat extends Module {
  constructor(readonly dimension = 1) {
    super();
    if (dimension !== 1) throw frameworkError("ValueError", "Concat: only dimension 1 (channels) is supported");
  }

  forward(xs: tf.Tensor4D[]): tf.Tensor4D {
    checkCatShapes(
      xs.map((x) => x.shape),
      this.dimension,
    );
    return tf.concat(xs, 3);
  }
}

/** torch.cat's shape check for NHWC tensors concatenated along NCHW dimension `dim`. */
export function checkCatShapes(shapes: number[][], dim: number): void {
  const nchw = (s: number[]) => (s.length === 4 ? [s[0], s[3], s[1], s[2]] : s);
  const first = nchw(shapes[0]);
  shapes.forEach((shape, i) => {
    const s = nchw(shape);
    if (s.length !== first.length) {
      throw frameworkError("RuntimeError", `Tensors must have same number of dimensions: got ${first.length} and ${s.length}`);
    }
    for (let d = 0; d < s.length; d++) {
      if (d !== dim && s[d] !== first[d]) {
        throw frameworkError(
          "RuntimeError",
          `Sizes of tensors must match except in dimension ${dim}. Expected size ${first[d]} but got size ${s[d]} for tensor number ${i} in the list.`,
        );
      }
    }
  });
}

/** Classify: YOLOv5-cls head, Conv(c1, 1280, 1) + global average pool + dropout + Linear(1280, nc). */
export class Classify extends Module {
  readonly conv: Conv;
  readonly pool: GlobalAvgPool;
  readonly drop: Dropout;
  readonly linear: Linear;

  constructor(c1: number, c2: number, dropout = 0.0) {
    super();
    const c = 1280; // efficientnet_b0 size
    this.conv = this.add("conv", new Conv(c1, c, 1, 1));
    this.pool = this.add("pool", new GlobalAvgPool());
    this.drop = this.add("drop", new Dropout(dropout));
    this.linear = this.add("linear", new Linear(c, c2));
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.linear.forward(this.drop.forward(this.pool.forward(this.conv.forward(x))) as tf.Tensor2D);
  }
}

/** nn.ModuleList: children named 0, 1, 2, ... that the owner calls itself. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];

  constructor(modules: M[]) {
    super();
    this.items = modules.map((m, i) => this.add(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  forward(): never {
    throw frameworkError("NotImplementedError", "ModuleList has no forward(); call its items");
  }
}
