// The bytes a tensor's data takes, counted one way for the whole project (%who, %shapes,
// %summary, %memory's tracker, the device-memory model, the tensor display).
import type { DataType } from "@tensorflow/tfjs";
import { engineInternals, loadTf } from "./internals";

export interface TensorLike {
  dtype: string;
  size: number;
  dataId: unknown;
}

/**
 * size x bytes per element as TensorFlow.js stores it (tf.util.bytesPerElement: float32 and
 * int32 4, bool 1, complex64 8 for its real and imaginary float32 parts). A string tensor
 * has no fixed size per element: its bytes are the engine's count of the encoded strings
 * while it is live, 0 once disposed.
 */
export function tensorBytes(t: TensorLike): number {
  if (t.dtype === "string") return engineInternals().state.tensorInfo.get(t.dataId as object)?.bytes ?? 0;
  return t.size * loadTf().util.bytesPerElement(t.dtype as DataType);
}
