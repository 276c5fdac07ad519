// SiLU, x * sigmoid(x), as one kernel forward and one backward where a backend registers
// both (wasm: tfjs/wasm-kernels/silu.ts; webgpu: tfjs/webgpu/silu.ts). Composed, tfjs runs a
// Sigmoid and a Multiply forward and, differentiating op by op, saves x and sigmoid(x) and
// runs seven full-size kernels backwards; the fused kernels read each input once and compute
// sigmoid themselves. Backends without them get the composed op, unchanged.
import * as tf from "@tensorflow/tfjs";
import { SILU_GRAD_KERNEL, SILU_KERNEL } from "../../tfjs/custom-kernel-names";

export { SILU_GRAD_KERNEL, SILU_KERNEL };

// Only x is saved, as PyTorch saves it: the gradient kernel computes sigmoid(x) again rather
// than holding it from the forward pass to the backward, a full activation per SiLU at the
// step's peak.
const siluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.engine().runKernel(SILU_KERNEL, { x }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [savedX]: tf.Tensor[]) => tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x: savedX }) as tf.Tensor,
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Whether the active backend has both fused kernels. */
function hasFusedKernels(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(SILU_KERNEL, backend) !== undefined && tf.getKernel(SILU_GRAD_KERNEL, backend) !== undefined;
}

export function silu<T extends tf.Tensor>(x: T): T {
  if (x.dtype === "float32" && hasFusedKernels()) return siluFused(x) as T;
  return tf.mul(x, tf.sigmoid(x));
}
