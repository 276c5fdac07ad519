// SiLU, x * sigmoid(x), with its gradient as one kernel where a backend registers one
// (wasm does: tfjs/wasm-kernels/silu-grad.ts). Differentiated op by op, tfjs saves x and
// sigmoid(x) and runs seven full-size kernels backwards; the fused gradient reads dy, x and
// sigmoid(x) once. Backends without the kernel get the composed op, unchanged.
import * as tf from "@tensorflow/tfjs";
import { SILU_GRAD_KERNEL } from "../../tfjs/custom-kernel-names";

export { SILU_GRAD_KERNEL };

// Only x is saved, as PyTorch saves it: sigmoid(x) is computed again in the backward pass
// (one kernel) rather than held from the forward pass to the backward, a full activation per
// SiLU at the step's peak.
const siluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.mul(x, tf.sigmoid(x)),
    gradFunc: (dy: tf.Tensor, [savedX]: tf.Tensor[]) =>
      tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x: savedX, s: tf.sigmoid(savedX) }) as tf.Tensor,
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function silu<T extends tf.Tensor>(x: T): T {
  if (x.dtype === "float32" && tf.getKernel(SILU_GRAD_KERNEL, tf.getBackend())) return siluFused(x) as T;
  return tf.mul(x, tf.sigmoid(x));
}
