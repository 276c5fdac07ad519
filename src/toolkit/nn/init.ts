import * as tf from "@tensorflow/tfjs";

/**
 * Weight initialisation as PyTorch does it by default, with a seedable stream so that a
 * notebook can build the same model twice (`manualSeed(0)`, like `torch.manual_seed`).
 */
let seedState: number | undefined;

/** Makes every later weight initialisation deterministic; `undefined` goes back to random. */
export function manualSeed(seed: number | undefined): void {
  seedState = seed === undefined ? undefined : seed >>> 0;
}

/** The next seed of the stream, or undefined (tf draws from Math.random) when unseeded. */
function nextSeed(): number | undefined {
  if (seedState === undefined) return undefined;
  seedState = (Math.imul(seedState, 1664525) + 1013904223) >>> 0;
  return seedState;
}

/** U(-bound, bound): PyTorch's default for conv and linear weights and biases (bound = 1/sqrt(fan_in)). */
export function uniformInit(shape: number[], bound: number): tf.Tensor {
  return tf.randomUniform(shape, -bound, bound, "float32", nextSeed());
}

/** N(0, 2/fan_in): Kaiming normal, PaddleClas's initialiser for MobileNetV1. */
export function kaimingNormalInit(shape: number[], fanIn: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), "float32", nextSeed());
}
