// Sum's and Mean's stock gradients broadcast dy by multiplying with `tf.ones(x.shape)`,
// which fills the whole array in a JavaScript loop and uploads it, and Mean's then divides
// in a second full pass. Every batch-norm in training mode reduces twice (mean, variance),
// so on wasm that was about 10% of a YOLOv5n step. These fill natively (the Fill kernel)
// with the final factor and multiply once. Same maths, every backend.
import * as tf from "@tensorflow/tfjs";

/** dy brought back to x's rank: the reduced axes as 1s, so it broadcasts against x. */
function expandedDy(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return tf.reshape(dy, shape);
}

function reducedSize(x: tf.Tensor, axis: number | number[]): number {
  return tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * x.shape[a], 1);
}

/** dL/dx = dy broadcast over the reduced axes, times `factor`. */
function broadcastGradient(dy: tf.Tensor, x: tf.Tensor, axis: number | number[], factor: number): tf.Tensor {
  return tf.mul(expandedDy(dy, x, axis), tf.fill(x.shape, factor, "float32"));
}

const sumGradient: tf.GradConfig = {
  kernelName: "Sum",
  inputsToSave: ["x"],
  gradFunc: (dy, [x], attrs) => {
    const { axis } = attrs as unknown as tf.SumAttrs;
    return { x: () => broadcastGradient(dy as tf.Tensor, x, axis, 1) };
  },
};

const meanGradient: tf.GradConfig = {
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy, [x], attrs) => {
    const { axis } = attrs as unknown as tf.MeanAttrs;
    return { x: () => broadcastGradient(dy as tf.Tensor, x, axis, 1 / reducedSize(x, axis)) };
  },
};

let registered = false;

export function registerBroadcastingReductionGradients(): void {
  if (registered) return;
  tf.registerGradient(sumGradient);
  tf.registerGradient(meanGradient);
  registered = true;
}
