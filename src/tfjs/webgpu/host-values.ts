// Values the toolkit needs on the CPU in a synchronous function, such as label rows that
// YOLOv5's build_targets and cross-entropy's class ids index by. Such tensors come from the
// host (a DataLoader makes them from arrays), and every backend still holds those values on
// the CPU: they are read as they are. Only a tensor whose values live in GPU memory alone
// (webgpu, once it was used on the device) cannot be read without waiting, and the error
// says which input it was and what to pass instead.
import * as tf from "@tensorflow/tfjs";
import { needsGpuCopy, type SyncReadBackend } from "./sync-read";

/** Would reading t now have to wait for the GPU? */
export function valuesOnlyOnGpu(t: tf.Tensor): boolean {
  if (tf.getBackend() !== "webgpu" || typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== "undefined") return false;
  const backend = tf.engine().findBackend("webgpu") as unknown as SyncReadBackend | undefined;
  return !!backend?.tensorMap && needsGpuCopy(backend, t.dataId);
}

/**
 * t's values without waiting for a device. `what` names the input for the error, e.g.
 * "ComputeLoss: targets", and `instead` says what to pass.
 */
export function hostValues(t: tf.Tensor, what: string, instead: string): tf.TypedArray {
  if (valuesOnlyOnGpu(t)) {
    const err = new Error(
      `${what} [${t.shape.join(", ")}] are in webgpu memory only, and they are needed on the CPU now, ` +
        `which would mean a synchronous read from the GPU (not possible under Node). ${instead}`,
    );
    err.name = "RuntimeError";
    throw err;
  }
  return t.dataSync() as tf.TypedArray;
}
