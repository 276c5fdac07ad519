// Deterministic test data: a linear congruential generator, uniform in [-0.5, 0.5) times
// `scale`, plus `offset`.
export function randomArray(size: number, seed: number, scale = 1, offset = 0): Float32Array {
  const next = uniformStream(seed);
  return Float32Array.from({ length: size }, () => (next() - 0.5) * scale + offset);
}

/** The same generator as a stream of uniform values in [0, 1). */
export function uniformStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
