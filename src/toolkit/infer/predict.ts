// The inference step lab.detect and lab.val share: the model in eval mode for the duration,
// and a batch's decoded predictions ([bs, anchors, 5 + nc], Detect's first output) read back
// asynchronously (WebGPU cannot read synchronously under Node), every tensor freed.
import * as tf from "@tensorflow/tfjs";
import type { YOLOv5 } from "../nn/yolo";

/** Decoded predictions of one batch, read back: `data` holds bs x n rows of `no` values. */
export interface DecodedPredictions {
  data: Float32Array;
  bs: number;
  n: number;
  no: number;
}

/** Runs `fn` with the model in eval mode, restoring train mode afterwards as it was. */
export async function inEvalMode<T>(model: YOLOv5, fn: () => Promise<T>): Promise<T> {
  const wasTraining = model.training;
  model.eval();
  try {
    return await fn();
  } finally {
    model.train(wasTraining);
  }
}

/** Forward pass of `images` (disposed here) and its decoded predictions as numbers. */
export async function decodedPredictions(model: YOLOv5, images: tf.Tensor4D): Promise<DecodedPredictions> {
  const decoded = tf.tidy(() => (model.forward(images) as [tf.Tensor, tf.Tensor[]])[0]);
  images.dispose();
  const [bs, n, no] = decoded.shape;
  try {
    return { data: (await decoded.data()) as Float32Array, bs, n, no };
  } finally {
    decoded.dispose();
  }
}
