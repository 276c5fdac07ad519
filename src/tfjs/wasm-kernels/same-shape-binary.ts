// Add, Sub and Multiply of two float32 tensors of the same shape on wasm: our SIMD pass
// (wasm-simd/binary-wat.ts) in parts on the kernel threads. XNNPACK's kernels give the same
// bits but run on one thread here (wasm-threads.ts says why): in a YOLOv5n step the residual
// adds and the gradients' adds and products, about 35 ms, were main-thread work while the
// other threads waited.
import type { Info, KernelCalls } from "./kernel-calls";
import { sameShapeBinaryPart } from "./elementwise-parts";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { SAME_SHAPE_BINARY_THREAD_JOB } from "./thread-jobs";

/** Below this many values one part is all there is, and the stock kernel is as fast. */
const MIN_VALUES = 1 << 16;

const OP_NUMBER = { Add: 0, Sub: 1, Multiply: 2 } as const;

/** a op b, or undefined (the stock kernel runs) unless both are float32 of one shape, large enough to split. */
export function sameShapeBinary(calls: KernelCalls, op: keyof typeof OP_NUMBER, a: Info, b: Info): Info | undefined {
  const simd = calls.simd;
  if (!simd || a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return undefined;
  const count = a.shape.reduce((p, d) => p * d, 1);
  const parts = elementwiseParts(calls, count);
  if (count < MIN_VALUES || parts === 1) return undefined;
  const out = calls.alloc(a.shape);
  const payload = [OP_NUMBER[op], calls.heap(a).byteOffset, calls.heap(b).byteOffset, calls.heap(out).byteOffset, count];
  try {
    runOnKernelThreads(calls, SAME_SHAPE_BINARY_THREAD_JOB, payload, parts, (p, part) => sameShapeBinaryPart(simd, p, part, parts));
    return out;
  } catch (e) {
    calls.free(out);
    throw e;
  }
}
