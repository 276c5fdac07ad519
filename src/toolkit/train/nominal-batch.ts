/**
 * YOLOv5's nominal-batch arithmetic (train.py): gradients are accumulated until about
 * `nbs` images have been seen, weight decay is scaled to the effective batch, and the
 * first `nw` iterations warm up the accumulation, learning rates and momentum.
 * Pure functions so the notebooks and tests can show the numbers.
 */
import { HYP_DEFAULTS, MIN_WARMUP_ITERATIONS, NOMINAL_BATCH_SIZE } from "./hyp";

/** numpy's and Python 3's round(): halves go to the even neighbour (2.5 -> 2, 3.5 -> 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.interp for increasing `xp`, clamped at both ends. */
export function interp(x: number, xp: readonly number[], fp: readonly number[]): number {
  if (x <= xp[0]) return fp[0];
  const last = xp.length - 1;
  if (x >= xp[last]) return fp[last];
  let i = 1;
  while (xp[i] < x) i++;
  const t = (x - xp[i - 1]) / (xp[i] - xp[i - 1]);
  return fp[i - 1] + t * (fp[i] - fp[i - 1]);
}

/** `accumulate = max(round(nbs / batch_size), 1)`: micro-batches per optimizer step. */
export function accumulateFor(batchSize: number, nbs = NOMINAL_BATCH_SIZE): number {
  return Math.max(roundHalfEven(nbs / batchSize), 1);
}

/** `weight_decay *= batch_size * accumulate / nbs`. */
export function scaledWeightDecay(weightDecay: number, batchSize: number, accumulate: number, nbs = NOMINAL_BATCH_SIZE): number {
  return (weightDecay * batchSize * accumulate) / nbs;
}

/** `nw = max(round(warmup_epochs * nb), 100)`: warm-up length in iterations. */
export function warmupIterations(warmupEpochs: number, batchesPerEpoch: number, minIterations = MIN_WARMUP_ITERATIONS): number {
  return Math.max(roundHalfEven(warmupEpochs * batchesPerEpoch), minIterations);
}

/** During warm-up: `accumulate = max(1, np.interp(ni, [0, nw], [1, nbs / batch_size]).round())`. */
export function warmupAccumulate(ni: number, nw: number, nbs: number, batchSize: number): number {
  return Math.max(1, roundHalfEven(interp(ni, [0, nw], [1, nbs / batchSize])));
}

/** Learning-rate factor per epoch: linear `(1 - x/epochs)(1 - lrf) + lrf`, or YOLOv5's one_cycle cosine. */
export type LrSchedule = "linear" | "cosine";
export function lrLambda(schedule: LrSchedule, epochs: number, lrf = HYP_DEFAULTS.lrf): (epoch: number) => number {
  if (schedule === "linear") return (x) => (1 - x / epochs) * (1 - lrf) + lrf;
  return (x) => ((1 - Math.cos((x * Math.PI) / epochs)) / 2) * (lrf - 1) + 1;
}

/**
 * Warm-up values for one parameter group at iteration `ni` (< nw): YOLOv5 drives the
 * bias group's lr down from `warmupBiasLr`, the others up from 0, towards `initialLr * lf(epoch)`,
 * and momentum up from `warmupMomentum`.
 */
export function warmupLr(ni: number, nw: number, isBiasGroup: boolean, warmupBiasLr: number, targetLr: number): number {
  return interp(ni, [0, nw], [isBiasGroup ? warmupBiasLr : 0, targetLr]);
}
export function warmupMomentum(ni: number, nw: number, warmupMomentumStart: number, momentum: number): number {
  return interp(ni, [0, nw], [warmupMomentumStart, momentum]);
}
