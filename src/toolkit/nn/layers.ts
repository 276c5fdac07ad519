// Basic layers in PyTorch's vocabulary, on NHWC tensors. Parameter names follow PyTorch
// (weight, bias, running_mean, running_var) so summaries and checkpoints read the same.
import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { uniformInit, kaimingNormalInit } from "./init";
import { frameworkError, torchSizeNCHW } from "./errors";
import { silu } from "../ops/silu";
import { applyActivation, type BatchNormActivation, batchNormTrain } from "../ops/batchnorm-train";

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  /** 1, or inChannels for a depthwise convolution (the only grouped case TensorFlow.js runs). */
  groups?: number;
  bias?: boolean;
  /** "torch": PyTorch's default U(±1/sqrt(fan_in)); "kaiming": N(0, 2/fan_in) as PaddleClas. */
  init?: "torch" | "kaiming";
}

/** nn.Conv2d. Weight layout is TensorFlow.js's: [k, k, in/groups, out] ([k, k, in, out/in] when depthwise). */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly stride: number;
  readonly padding: number;
  readonly depthwise: boolean;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    opts: Conv2dOptions = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (groups !== 1 && groups !== inChannels) {
      throw frameworkError("ValueError", `groups=${groups}: only 1 or in_channels (depthwise) are supported`);
    }
    if (outChannels % groups !== 0) throw frameworkError("ValueError", "out_channels must be divisible by groups");
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.depthwise = groups !== 1;
    const fanIn = (inChannels / groups) * kernelSize * kernelSize;
    const shape = this.depthwise
      ? [kernelSize, kernelSize, inChannels, outChannels / inChannels]
      : [kernelSize, kernelSize, inChannels, outChannels];
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.param("weight", opts.init === "kaiming" ? kaimingNormalInit(shape, fanIn) : uniformInit(shape, bound));
    if (opts.bias ?? true)
      this.bias = this.param("bias", opts.init === "kaiming" ? tf.zeros([outChannels]) : uniformInit([outChannels], bound));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    this.checkInput(x.shape);
    const pad = this.padding === 0 ? "valid" : this.padding;
    const y = this.depthwise
      ? tf.depthwiseConv2d(x, this.weight as tf.Tensor4D, this.stride, pad)
      : tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, pad);
    return this.bias ? tf.add(y, this.bias) : y;
  }

  /** PyTorch's checks and texts for a wrong input (the shapes shown in its NCHW order). */
  private checkInput(shape: number[]): void {
    if (shape.length === 3) {
      throw frameworkError(
        "ValueError",
        `conv2d takes batched NHWC input [bs, H, W, C]; got [${shape.join(", ")}] (add a batch axis with expandDims(0))`,
      );
    }
    if (shape.length !== 4) {
      throw frameworkError(
        "RuntimeError",
        `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${shape.join(", ")}]`,
      );
    }
    const groups = this.depthwise ? this.inChannels : 1;
    if (shape[3] !== this.inChannels) {
      const [n, h, w, c] = shape;
      throw frameworkError(
        "RuntimeError",
        `Given groups=${groups}, weight of size [${this.outChannels}, ${this.inChannels / groups}, ${this.kernelSize}, ${this.kernelSize}], expected input[${n}, ${c}, ${h}, ${w}] to have ${this.inChannels} channels, but got ${c} channels instead`,
      );
    }
  }
}

/**
 * nn.BatchNorm2d over the channel (last) axis. Training normalises with the batch's
 * statistics and moves the running ones PyTorch's way: running = (1-m)*running + m*batch,
 * with the unbiased batch variance. The update is an assign of values that no loss
 * depends on, so it is safe inside tf.variableGrads.
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super();
    this.weight = this.param("weight", tf.ones([numFeatures]));
    this.bias = this.param("bias", tf.zeros([numFeatures]));
    this.runningMean = this.buffer("running_mean", tf.zeros([numFeatures]));
    this.runningVar = this.buffer("running_var", tf.ones([numFeatures]));
  }

  /** The batch norm of x, then `activation` of it if given (one op where the backend fuses them). */
  forward(x: tf.Tensor4D, activation?: BatchNormActivation): tf.Tensor4D {
    if (!this.training) {
      const y = tf.batchNorm4d(
        x,
        this.runningMean as tf.Tensor1D,
        this.runningVar as tf.Tensor1D,
        this.bias as tf.Tensor1D,
        this.weight as tf.Tensor1D,
        this.eps,
      );
      return applyActivation(y, activation);
    }
    const count = x.shape[0] * x.shape[1] * x.shape[2];
    if (count <= 1) {
      throw frameworkError("ValueError", `Expected more than 1 value per channel when training, got input size ${torchSizeNCHW(x.shape)}`);
    }
    const { y, mean, variance } = batchNormTrain(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps, activation);
    this.updateRunningStats(mean, variance, count);
    return y;
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    tf.tidy(() => {
      const unbiased = tf.mul(variance, count / (count - 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
  }
}

/** nn.Linear: y = x W^T + b, W stored [out, in] as in PyTorch. */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; init?: "torch" | "kaiming" } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param(
      "weight",
      opts.init === "kaiming" ? kaimingNormalInit([outFeatures, inFeatures], inFeatures) : uniformInit([outFeatures, inFeatures], bound),
    );
    if (opts.bias ?? true)
      this.bias = this.param("bias", opts.init === "kaiming" ? tf.zeros([outFeatures]) : uniformInit([outFeatures], bound));
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul(x, this.weight as tf.Tensor2D, false, true) as tf.Tensor2D;
    return this.bias ? (tf.add(y, this.bias) as tf.Tensor2D) : y;
  }
}

/** nn.SiLU: x * sigmoid(x) (with a one-pass gradient where the backend has one). */
export class SiLU extends Module {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return silu(x);
  }
}

/** nn.ReLU. */
export class ReLU extends Module {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.relu(x);
  }
}

/** nn.MaxPool2d for the two shapes the models use: no padding, or stride 1 with padding k//2 ("same"). */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride = kernelSize,
    readonly padding = 0,
  ) {
    super();
    const same = stride === 1 && padding === Math.floor(kernelSize / 2) && kernelSize % 2 === 1;
    if (padding !== 0 && !same) throw frameworkError("ValueError", "MaxPool2d: padding must be 0, or k//2 with stride 1");
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.maxPool(x, this.kernelSize, this.stride, this.padding === 0 ? "valid" : "same");
  }
}

/** nn.Upsample(scale_factor, mode="nearest"): each pixel repeated, as PyTorch's nearest does. */
export class Upsample extends Module {
  constructor(readonly scaleFactor = 2) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [, h, w] = x.shape;
    return tf.image.resizeNearestNeighbor(x, [h * this.scaleFactor, w * this.scaleFactor], false, false);
  }
}

/** nn.AdaptiveAvgPool2d(1) followed by flatten(1): [bs, h, w, c] -> [bs, c]. */
export class GlobalAvgPool extends Module {
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.mean(x, [1, 2]) as tf.Tensor2D;
  }
}

/** nn.Dropout: active in training only. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.training && this.p > 0 ? tf.dropout(x, this.p) : x;
  }
}
