// SiLU and its gradient (ops/silu.ts) on wasm: one pass each of our SIMD kernels
// (wasm-simd/silu-wat.ts) on every kernel thread, or, without them, the same arithmetic
// from stock kernels.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { siluGradPart, siluPart } from "./elementwise-parts";
import { SILU_GRAD_THREAD_JOB, SILU_THREAD_JOB } from "./thread-jobs";

/** y = x * sigmoid(x). */
export function silu(calls: KernelCalls, x: Info): Info {
  const simd = calls.simd;
  if (!simd) return calls.scoped((tmp) => calls.run("Multiply", { a: x, b: tmp(calls.run("Sigmoid", { x })) }));
  const out = calls.alloc(x.shape);
  const size = tf.util.sizeFromShape(x.shape);
  const payload = [calls.heap(x).byteOffset, calls.heap(out).byteOffset, size];
  const parts = elementwiseParts(calls, size);
  runOnKernelThreads(calls, SILU_THREAD_JOB, payload, parts, (p, part) => siluPart(simd, p, part, parts));
  return out;
}

/** dx = dy * s * (1 + x * (1 - s)), s = sigmoid(x). */
export function siluGrad(calls: KernelCalls, dy: Info, x: Info): Info {
  const simd = calls.simd;
  if (!simd) {
    return calls.scoped((tmp) => {
      const s = tmp(calls.run("Sigmoid", { x }));
      const one = tmp(calls.run("Fill", {}, { shape: [], value: 1, dtype: "float32" }));
      const inner = tmp(calls.run("Add", { a: one, b: tmp(calls.run("Multiply", { a: x, b: tmp(calls.run("Sub", { a: one, b: s })) })) }));
      return calls.run("Multiply", { a: tmp(calls.run("Multiply", { a: dy, b: s })), b: inner });
    });
  }
  const out = calls.alloc(x.shape);
  const size = tf.util.sizeFromShape(x.shape);
  const payload = [calls.heap(dy).byteOffset, calls.heap(x).byteOffset, calls.heap(out).byteOffset, size];
  const parts = elementwiseParts(calls, size);
  runOnKernelThreads(calls, SILU_GRAD_THREAD_JOB, payload, parts, (p, part) => siluGradPart(simd, p, part, parts));
  return out;
}
