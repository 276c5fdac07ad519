// Errors the losses raise where PyTorch or PaddleClas raises one (see framework-error.ts).
import { frameworkError } from "../framework-error";

export type PythonExceptionName = "ValueError" | "RuntimeError" | "IndexError";

export function pythonError(name: PythonExceptionName, message: string): Error {
  return frameworkError(name, message, pythonError);
}

/** PyTorch's name for a tf.js dtype, as its "expected scalar type …" messages print it.
 *  int32 is this toolkit's class-id dtype, the counterpart of torch's Long. */
export function torchDtypeName(dtype: string): string {
  switch (dtype) {
    case "int32":
      return "Long";
    case "float32":
      return "Float";
    case "bool":
      return "Bool";
    case "complex64":
      return "ComplexFloat";
    default:
      return dtype;
  }
}

/**
 * Broadcasts two shapes as PyTorch does for an elementwise op (a - b, a * b) and
 * raises its error when they cannot be: dimensions are compared from the last one
 * backwards and the first mismatch is reported, with its index in the result.
 */
export function broadcastShapesLikeTorch(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = rank - 1; i >= 0; i--) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw pythonError(
        "RuntimeError",
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
