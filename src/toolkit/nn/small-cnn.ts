// A small conv classifier for fast demos and the benchmark (the bench builds the identical
// PyTorch net): per stage Conv2d 3x3 pad 1 (no bias) + BatchNorm2d + ReLU + MaxPool 2x2,
// then global average pool and Linear.
import type * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { GlobalAvgPool, Linear, MaxPool2d } from "./layers";
import { Sequential, type TensorModule } from "./common";
import { ConvBNLayer } from "./mobilenet";

export class SmallCnn extends Module {
  readonly features: Sequential;
  readonly pool: GlobalAvgPool;
  readonly fc: Linear;

  constructor(
    readonly nc: number,
    readonly channels: number[] = [16, 32, 64],
    inputChannels = 3,
  ) {
    super();
    const stages: TensorModule[] = [];
    channels.forEach((c, i) => {
      stages.push(new ConvBNLayer(i === 0 ? inputChannels : channels[i - 1], 3, c, 1, 1), new MaxPool2d(2, 2));
    });
    this.features = this.add("features", new Sequential(stages));
    this.pool = this.add("pool", new GlobalAvgPool());
    this.fc = this.add("fc", new Linear(channels[channels.length - 1], nc));
  }

  /** Logits [bs, nc] from NHWC images (side at least 2^stages). */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.fc.forward(this.pool.forward(this.features.forward(x) as tf.Tensor4D));
  }
}

/** smallCnn({ nc: 10 }): channels [16, 32, 64] by default. */
export function smallCnn(opts: { nc?: number; channels?: number[]; inputChannels?: number } = {}): SmallCnn {
  return new SmallCnn(opts.nc ?? 10, opts.channels ?? [16, 32, 64], opts.inputChannels ?? 3);
}
