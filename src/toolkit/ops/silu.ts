// SiLU, x * sigmoid(x), with its gradient as one kernel where a backend registers one
// (wasm does: tfjs/wasm-kernels/silu-grad.ts). Differentiated op by op, tfjs saves x and
// sigmoid(x) and runs seven full-size kernels backwards; the fused gradient reads dy, x and
// sigmoid(x) once. Backends without the kernel get the composed op, unchanged.
import * as tf from "@tensorflow/tfjs";
import { SILU_GRAD_KERNEL } from "../../tfjs/custom-kernel-names";

export { SILU_GRAD_KERNEL };

const siluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [savedX, savedS]: tf.Tensor[]) =>
      tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x: savedX, s: savedS }) as tf.Tensor,
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function silu<T extends tf.Tensor>(x: T): T {
  if (x.dtype === "float32" && tf.getKernel(SILU_GRAD_KERNEL, tf.getBackend())) return siluFused(x) as T;
  return tf.mul(x, tf.sigmoid(x));
}
