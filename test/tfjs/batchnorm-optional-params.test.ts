// tf.batchNorm without a scale or an offset: TensorFlow.js 4.22's own op cannot be
// differentiated then (the gradient tape reads the id of an undefined input). After backend
// selection it can, with the values and gradients of the formula written out with basic ops.
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { assertClose } from "../helpers/assert-close";

const EPS = 1e-3;

type Params = { offset?: tf.Tensor1D; scale?: tf.Tensor1D };

/** The same normalisation written with basic ops (their stock gradients are independent of ours). */
function composed(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, p: Params): tf.Tensor {
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
  if (p.scale) y = tf.mul(y, p.scale);
  if (p.offset) y = tf.add(y, p.offset);
  return y;
}

for (const backend of ["cpu", "wasm"]) {
  for (const which of ["neither", "offset only", "scale only"] as const) {
    for (const op of ["batchNorm", "batchNorm4d"] as const) {
      test(`tf.${op} with ${which === "neither" ? "neither scale nor offset" : which} has a gradient on ${backend}`, async () => {
        await switchBackend(backend);
        const x = tf.randomNormal([2, 3, 3, 4], 0.5, 2, "float32", 11) as tf.Tensor4D;
        const weights = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 12);
        const p: Params = {
          offset: which === "offset only" ? tf.tensor1d([0.1, -0.2, 0.3, 0]) : undefined,
          scale: which === "scale only" ? tf.tensor1d([1.5, 0.5, 2, 1]) : undefined,
        };
        const loss = (norm: (t: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => {
          const { mean, variance } = tf.moments(t, [0, 1, 2]);
          return tf.sum(tf.mul(norm(t, mean, variance), weights));
        };
        const fn = op === "batchNorm" ? tf.batchNorm : tf.batchNorm4d;
        const ours = loss((t, m, v) => fn(t as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, p.offset, p.scale, EPS));
        const reference = loss((t, m, v) => composed(t, m, v, p));
        const [value, expectedValue] = [ours(x), reference(x)];
        assertClose(value.dataSync() as Float32Array, expectedValue.dataSync() as Float32Array, "loss");
        const [grad, expectedGrad] = [tf.grad(ours)(x), tf.grad(reference)(x)];
        assertClose(grad.dataSync() as Float32Array, expectedGrad.dataSync() as Float32Array, "dL/dx");
        tf.dispose([x, weights, p.offset!, p.scale!, value, expectedValue, grad, expectedGrad].filter(Boolean));
      });
    }
  }
}
