/**
 * A small seeded pseudo-random generator (mulberry32). Everything random in the data
 * area goes through it so that the same seed gives the same datasets and batch orders
 * on every machine; Math.random is never used.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = mixSeed(seed) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A float whose logarithm is uniform in [log lo, log hi): sizes spread evenly over scales. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }
}

/** Derives a well-spread 32-bit seed from any numbers (seed, epoch, ...), so nearby seeds give unrelated streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new TypeError(`seed must be a finite number, got ${p}`);
    const lo = Math.floor(p) >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0x01000193) >>> 0;
      h ^= h >>> 13;
      h = Math.imul(h, 0x5bd1e995) >>> 0;
      h ^= h >>> 15;
    }
  }
  return h >>> 0;
}
