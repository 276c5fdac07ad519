// The benchmark's small conv classifier in TensorFlow.js; bench/toolkit/train_step_torch.py
// defines the identical network (SmallClassifier) in PyTorch. Batch norm and its ReLU are the
// toolkit's training op (what lab's ConvBNLayer runs: the same arithmetic as tf.moments +
// tf.batchNorm + tf.relu, one kernel each way on wasm).
import * as tf from "@tensorflow/tfjs";
import { batchNormTrain } from "../../src/toolkit/ops";

const CHANNELS = [3, 16, 32, 64];
const NUM_CLASSES = 10;
/** PyTorch's padding=1 (symmetric), not TF's "same" (which pads only bottom/right at stride 2). */
const TORCH_PAD_1: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

export interface SmallClassifier {
  variables: tf.Variable[];
  loss(x: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar;
}

/** 3 x (3x3 conv stride 2 + batch norm + ReLU), global average pool, linear. */
export function smallClassifier(): SmallClassifier {
  const convs = CHANNELS.slice(1).map((c, i) =>
    tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, CHANNELS[i], c], 0, Math.sqrt(2 / (9 * CHANNELS[i])), "float32", i)),
  );
  const gammas = CHANNELS.slice(1).map((c) => tf.variable(tf.ones([c]) as tf.Tensor1D));
  const betas = CHANNELS.slice(1).map((c) => tf.variable(tf.zeros([c]) as tf.Tensor1D));
  const fcW = tf.variable(tf.randomNormal<tf.Rank.R2>([CHANNELS[3], NUM_CLASSES], 0, 0.1, "float32", 9));
  const fcB = tf.variable(tf.zeros<tf.Rank.R1>([NUM_CLASSES]));
  return {
    variables: [...convs, ...gammas, ...betas, fcW, fcB],
    loss(x, labels) {
      let h: tf.Tensor4D = x;
      convs.forEach((w, i) => {
        const z = tf.conv2d(h, w, 2, TORCH_PAD_1);
        h = batchNormTrain(z, gammas[i], betas[i], 1e-5, "relu").y;
      });
      const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, fcW), fcB);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits) as tf.Scalar;
    },
  };
}
