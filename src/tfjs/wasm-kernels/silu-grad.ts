// The fused SiLU gradient (ops/silu.ts) on wasm: one pass of our SIMD kernel
// (wasm-simd/silu-grad-wat.ts), or, without it, the same arithmetic from stock kernels.
import * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { siluGradPart } from "./elementwise-parts";
import { SILU_GRAD_THREAD_JOB } from "./thread-jobs";

export function siluGrad(calls: KernelCalls, dy: Info, x: Info, s: Info): Info {
  const simd = calls.simd;
  if (!simd) {
    return calls.scoped((tmp) => {
      const one = tmp(calls.run("Fill", {}, { shape: [], value: 1, dtype: "float32" }));
      const inner = tmp(calls.run("Add", { a: one, b: tmp(calls.run("Multiply", { a: x, b: tmp(calls.run("Sub", { a: one, b: s })) })) }));
      return calls.run("Multiply", { a: tmp(calls.run("Multiply", { a: dy, b: s })), b: inner });
    });
  }
  const out = calls.alloc(x.shape);
  const size = tf.util.sizeFromShape(x.shape);
  // On every kernel thread where there are some (contiguous ranges of values).
  const payload = [calls.heap(dy).byteOffset, calls.heap(x).byteOffset, calls.heap(s).byteOffset, calls.heap(out).byteOffset, size];
  const parts = elementwiseParts(calls, size);
  runOnKernelThreads(calls, SILU_GRAD_THREAD_JOB, payload, parts, (p, part) => siluGradPart(simd, p, part, parts));
  return out;
}
