import * as tf from "@tensorflow/tfjs";

/** The tensors in a batch or a model's output: a tensor, or arrays and plain objects of them. */
export function tensorsIn(value: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (value instanceof tf.Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value && typeof value === "object")
    for (const v of Object.values(value)) if (v instanceof tf.Tensor || Array.isArray(v)) tensorsIn(v, out);
  return out;
}

/** Frees the tensors of a batch (its `images`, `targets`, ... or an array of them). */
export function disposeBatchTensors(batch: unknown): void {
  for (const t of tensorsIn(batch)) t.dispose();
}
