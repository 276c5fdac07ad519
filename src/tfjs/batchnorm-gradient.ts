// FusedBatchNorm's stock gradient materialises the per-channel factor at the full size of
// x with Tile before multiplying (the second-largest cost of a YOLOv5 step on wasm). This
// one broadcasts instead and shares the two per-channel reductions between the inputs'
// gradients. Same maths, every backend.
import * as tf from "@tensorflow/tfjs";

/** Sum `t` down to `shape` (the inverse of broadcasting `shape` up to t.shape). */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, t.shape);
  return axes.length ? tf.reshape(tf.sum(t, axes), shape) : tf.reshape(t, shape);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const [x, mean, variance, scaleSaved] = saved;
  const scale = scaleSaved ?? tf.scalar(1);
  const dyT = dy as tf.Tensor;
  const invStd = tf.rsqrt(tf.add(variance, varianceEpsilon));
  // Computed here, not inside the per-input closures, because the engine disposes what a
  // closure creates as soon as it returns; only per-channel tensors stay alive.
  const shared = sameShape(mean.shape, variance.shape) && (scaleSaved == null || sameShape(scale.shape, mean.shape));
  const sumDy = shared ? reduceTo(dyT, mean.shape) : undefined;
  const sumDyXc = shared ? tf.tidy(() => reduceTo(tf.mul(dyT, tf.sub(x, mean)), mean.shape)) : undefined;
  const paramShape = (name: "scale" | "offset") => (name === "scale" ? scale.shape : mean.shape);
  return {
    x: () => tf.mul(dyT, tf.mul(invStd, scale)),
    mean: () => (sumDy ? tf.neg(tf.mul(tf.mul(invStd, scale), sumDy)) : reduceTo(tf.neg(tf.mul(dyT, tf.mul(invStd, scale))), mean.shape)),
    variance: () => {
      const factor = tf.mul(tf.mul(tf.pow(invStd, 3), scale), -0.5);
      return sumDyXc ? tf.mul(factor, sumDyXc) : reduceTo(tf.mul(tf.mul(dyT, tf.sub(x, mean)), factor), variance.shape);
    },
    scale: () => (sumDyXc ? tf.mul(sumDyXc, invStd) : reduceTo(tf.mul(tf.mul(dyT, tf.sub(x, mean)), invStd), paramShape("scale"))),
    offset: () => sumDy ?? reduceTo(dyT, paramShape("offset")),
  };
};

let registered = false;

export function registerBroadcastingBatchNormGradient(): void {
  if (registered) return;
  tf.registerGradient({ kernelName: "FusedBatchNorm", inputsToSave: ["x", "mean", "variance", "scale"], gradFunc });
  registered = true;
}
