import * as tf from "@tensorflow/tfjs";
import { Module } from "../../src/toolkit/nn/module";

/** y = x·W + b: enough to watch a loss fall and count steps. */
export class TinyLinear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(inFeatures: number, outFeatures: number, seed = 1) {
    super();
    this.weight = this.param("weight", tf.randomNormal([inFeatures, outFeatures], 0, 0.1, "float32", seed));
    this.bias = this.param("bias", tf.zeros([outFeatures]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D), this.bias);
  }
}

/** One 3x3 conv (NHWC) with a bias: a tiny stand-in for a detector in AutoBatch tests. */
export class TinyConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(channels = 8) {
    super();
    this.weight = this.param("weight", tf.randomNormal([3, 3, 3, channels], 0, 0.1, "float32", 3));
    this.bias = this.param("bias", tf.zeros([channels]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.conv2d(x as tf.Tensor4D, this.weight as tf.Tensor4D, 1, "same"), this.bias);
  }
}

/** Batches of y = 2·x0 − x1 + 0.5 made on demand, with `length` like a DataLoader. */
export function regressionData(batches: number, batchSize: number) {
  return {
    length: batches,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < batches; i++) {
        const x = tf.randomUniform([batchSize, 2], -1, 1, "float32", 100 + i);
        const y = tf.tidy(() => tf.add(tf.matMul(x, tf.tensor2d([[2], [-1]])), 0.5));
        yield { images: x, targets: y };
      }
    },
  };
}

export const mse = (out: unknown, batch: { targets: tf.Tensor }) =>
  tf.losses.meanSquaredError(batch.targets, out as tf.Tensor) as tf.Scalar;
