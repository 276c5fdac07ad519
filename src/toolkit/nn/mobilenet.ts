// MobileNetV1 as PaddleClas builds it (ppcls/arch/backbone/legacy_models... MobileNetV1):
// conv-BN-ReLU stem, 13 depthwise separable blocks, global pool, Linear.
import type * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, ReLU } from "./layers";
import { Sequential } from "./common";

/** PaddleClas's ConvBNLayer: Conv2D (no bias, Kaiming normal) + BatchNorm (eps 1e-5, Paddle momentum 0.9 = PyTorch 0.1) + ReLU. */
export class ConvBNLayer extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly relu: ReLU;

  constructor(inChannels: number, kernelSize: number, outChannels: number, stride: number, padding: number, groups = 1) {
    super();
    this.conv = this.add(
      "conv",
      new Conv2d(inChannels, outChannels, kernelSize, { stride, padding, groups, bias: false, init: "kaiming" }),
    );
    this.bn = this.add("bn", new BatchNorm2d(outChannels, 1e-5, 0.1));
    this.relu = this.add("relu", new ReLU());
  }

  // As nn.Conv with SiLU: the ReLU inside the batch norm's op in training, through `relu` in eval mode.
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const z = this.conv.forward(x);
    return this.training ? this.bn.forward(z, "relu") : this.relu.forward(this.bn.forward(z));
  }
}

/** A 3x3 depthwise ConvBNLayer then a 1x1 pointwise one. */
export class DepthwiseSeparable extends Module {
  readonly depthwise_conv: ConvBNLayer;
  readonly pointwise_conv: ConvBNLayer;

  constructor(inChannels: number, filters1: number, filters2: number, groups: number, stride: number, scale: number) {
    super();
    const c1 = Math.trunc(filters1 * scale);
    this.depthwise_conv = this.add("depthwise_conv", new ConvBNLayer(inChannels, 3, c1, stride, 1, Math.trunc(groups * scale)));
    this.pointwise_conv = this.add("pointwise_conv", new ConvBNLayer(c1, 1, Math.trunc(filters2 * scale), 1, 0));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.pointwise_conv.forward(this.depthwise_conv.forward(x));
  }
}

/** [num_filters1, num_filters2, num_groups, stride] of PaddleClas's 13 blocks (input channels follow). */
const MOBILENET_V1_BLOCKS: [number, number, number, number][] = [
  [32, 64, 32, 1],
  [64, 128, 64, 2],
  [128, 128, 128, 1],
  [128, 256, 128, 2],
  [256, 256, 256, 1],
  [256, 512, 256, 2],
  [512, 512, 512, 1],
  [512, 512, 512, 1],
  [512, 512, 512, 1],
  [512, 512, 512, 1],
  [512, 512, 512, 1],
  [512, 1024, 512, 2],
  [1024, 1024, 1024, 1],
];

export class MobileNetV1 extends Module {
  readonly conv: ConvBNLayer;
  readonly blocks: Sequential;
  readonly avg_pool: GlobalAvgPool;
  readonly fc: Linear;

  constructor(
    readonly nc: number,
    readonly scale = 1.0,
    inputChannels = 3,
  ) {
    super();
    this.conv = this.add("conv", new ConvBNLayer(inputChannels, 3, Math.trunc(32 * scale), 2, 1));
    this.blocks = this.add(
      "blocks",
      new Sequential(MOBILENET_V1_BLOCKS.map(([f1, f2, g, s]) => new DepthwiseSeparable(Math.trunc(f1 * scale), f1, f2, g, s, scale))),
    );
    this.avg_pool = this.add("avg_pool", new GlobalAvgPool());
    this.fc = this.add("fc", new Linear(Math.trunc(1024 * scale), nc, { init: "kaiming" }));
  }

  /** Logits [bs, nc]; for multi-label training the loss applies the sigmoid. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.fc.forward(this.avg_pool.forward(this.blocks.forward(this.conv.forward(x)) as tf.Tensor4D));
  }
}

/** mobilenetV1({ nc: 33 }): PaddleClas MobileNetV1 (class_num 33 in MobileNetV1_multilabel.yaml). */
export function mobilenetV1(opts: { nc?: number; scale?: number; inputChannels?: number } = {}): MobileNetV1 {
  return new MobileNetV1(opts.nc ?? 1000, opts.scale ?? 1.0, opts.inputChannels ?? 3);
}
