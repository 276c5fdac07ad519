// The fused training batch-norm gradient (ops/batchnorm-train.ts) on wasm: two SIMD passes
// (wasm-simd/batchnorm-grad-wat.ts), the per-channel sums added in float64 a few hundred rows
// at a time (channel-moments.ts); or, where the channels are not a multiple of 4 or our
// module is missing, the same formulas from stock kernels.
import * as tf from "@tensorflow/tfjs";
import { channelSumsOverRows } from "./channel-moments";
import type { Info, KernelCalls } from "./kernel-calls";
import { elementwiseParts, runOnKernelThreads } from "./run-elementwise-job";
import { channelAffinePart } from "./elementwise-parts";
import { CHANNEL_AFFINE_THREAD_JOB } from "./thread-jobs";

export function batchNormTrainGrad(calls: KernelCalls, dy: Info, x: Info, gamma: Info, mean: Info, variance: Info, eps: number): Info[] {
  const channels = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  if (!calls.simd || channels % 4 !== 0) return composedGrad(calls, dy, x, gamma, mean, variance, eps, rows);
  const sums = withZeros(calls, channels, (zeros) => channelSumsOverRows(calls, dy, x, mean, zeros, rows, channels));
  return batchNormGradFromSums(calls, dy, x, gamma, mean, variance, eps, sums, calls.alloc(x.shape));
}

/** `use(zeros)` with a tensor of `channels` zeros (channelSums' dyMean when dy's mean is not taken out). */
export function withZeros<T>(calls: KernelCalls, channels: number, use: (zeros: Info) => T): T {
  const zeros = calls.alloc([channels]);
  calls.heap(zeros).fill(0);
  try {
    return use(zeros);
  } finally {
    calls.free(zeros);
  }
}

/**
 * The second pass, from the first's [sum dy, sum dy (x - mean)]: [dx, dgamma, dbeta], dx
 * written into `dx` (which may be dy itself: each value is read before it is written) and
 * owned by this call from here on.
 */
export function batchNormGradFromSums(
  calls: KernelCalls,
  dy: Info,
  x: Info,
  gamma: Info,
  mean: Info,
  variance: Info,
  eps: number,
  [sumDy, sumDyXc]: [Float64Array, Float64Array],
  dx: Info,
): Info[] {
  const simd = calls.simd!;
  const channels = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const [g, m, v] = [calls.heap(gamma), calls.heap(mean), calls.heap(variance)].map((a) => Float64Array.from(a));
  let coefficients: Info | undefined, dgamma: Info | undefined, dbeta: Info | undefined;
  try {
    coefficients = calls.alloc([3 * channels]);
    dgamma = calls.alloc([channels]);
    dbeta = calls.alloc([channels]);
    // Views after the last allocation: growing the heap detaches them.
    const rowBytes = channels * 4;
    const coef = calls.heap(coefficients),
      dg = calls.heap(dgamma),
      db = calls.heap(dbeta);
    for (let c = 0; c < channels; c++) {
      const invStd = 1 / Math.sqrt(v[c] + eps);
      const dGamma = invStd * sumDyXc[c];
      const a = g[c] * invStd,
        b = (-a * invStd * dGamma) / rows;
      coef[c] = a;
      coef[channels + c] = b;
      coef[2 * channels + c] = (-a * sumDy[c]) / rows - b * m[c];
      dg[c] = dGamma;
      db[c] = sumDy[c];
    }
    const coefAt = coef.byteOffset;
    // On every kernel thread where there are some (ranges of rows).
    const payload = [
      calls.heap(dy).byteOffset,
      calls.heap(x).byteOffset,
      coefAt,
      coefAt + rowBytes,
      coefAt + 2 * rowBytes,
      calls.heap(dx).byteOffset,
      rows,
      channels,
    ];
    const parts = elementwiseParts(calls, rows * channels);
    runOnKernelThreads(calls, CHANNEL_AFFINE_THREAD_JOB, payload, parts, (p, part) => channelAffinePart(simd, p, part, parts));
    return [dx, reshapeTo(calls, dgamma, gamma.shape), reshapeTo(calls, dbeta, gamma.shape)];
  } catch (e) {
    calls.free(...[dx, dgamma, dbeta].filter((t): t is Info => t !== undefined));
    throw e;
  } finally {
    if (coefficients) calls.free(coefficients);
  }
}

function reshapeTo(calls: KernelCalls, t: Info, shape: number[]): Info {
  const out = calls.reshape(t, shape);
  calls.free(t);
  return out;
}

/** The same formulas from stock kernels. */
function composedGrad(calls: KernelCalls, dy: Info, x: Info, gamma: Info, mean: Info, variance: Info, eps: number, rows: number): Info[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return calls.scoped((tmp) => {
    const scalar = (value: number) => tmp(calls.run("Fill", {}, { shape: [], value, dtype: "float32" }));
    const op = (name: string, a: Info, b: Info) => tmp(calls.run(name, { a, b }));
    const invStd = tmp(calls.run("Rsqrt", { x: op("Add", variance, scalar(eps)) }));
    const sumDy = calls.sum(dy, axes);
    const sumDyXc = tmp(calls.sum(op("Multiply", dy, op("Sub", x, mean)), axes));
    const dGamma = calls.run("Multiply", { a: invStd, b: sumDyXc });
    const a = op("Multiply", gamma, invStd);
    const b = op("Multiply", op("Multiply", a, invStd), op("Multiply", dGamma, scalar(-1 / rows)));
    const k = op("Sub", op("Multiply", a, op("Multiply", sumDy, scalar(-1 / rows))), op("Multiply", b, mean));
    const dx = calls.run("Add", { a: op("Add", op("Multiply", a, dy), op("Multiply", b, x)), b: k });
    return [dx, dGamma, sumDy];
  });
}
