import { Prng, mixSeed } from "./prng";
import { namedError } from "./errors";
import { interruptSignal, pollInterrupt } from "../interrupt";

/** What a DataLoader reads: a length, an item getter and, optionally, the dataset's own collate. */
export interface Dataset<Item> {
  readonly length: number;
  get(index: number): Promise<Item> | Item;
  collate?(items: Item[]): unknown;
}

export type ItemOf<D> = D extends Dataset<infer I> ? I : never;
/** The batch type: the dataset's collate result, or the array of items when it has none. */
export type DefaultBatch<D> = D extends { collate(items: never[]): infer B } ? B : ItemOf<D>[];

export interface DataLoaderOptions<Item, Batch> {
  batchSize?: number;
  shuffle?: boolean;
  /** Seed for shuffling; epoch e uses the order drawn from (seed, e), so runs repeat exactly. */
  seed?: number;
  /** Leave out the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Overrides the dataset's collate. */
  collate?: (items: Item[]) => Batch;
  /** Load the next batch while the caller works on the current one (default true). */
  prefetch?: boolean;
}

export interface IterateOptions {
  /** Aborting it stops the iteration with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
  /** Which epoch's order to use; by default each iteration takes the next epoch (0, 1, 2, ...). */
  epoch?: number;
}

/**
 * Batches a dataset like PyTorch's DataLoader: `for await (const batch of loader)` or
 * `loader.iterate({ signal })`. Items of one batch load concurrently, and the next batch
 * is loaded while the current one is used. Tensors in a batch belong to the caller
 * (dispose them); the loader keeps and disposes nothing of theirs.
 */
export class DataLoader<D extends Dataset<any>, Batch = DefaultBatch<D>> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  private readonly collateFn: (items: ItemOf<D>[]) => Batch;
  private readonly prefetch: boolean;
  private nextEpoch = 0;

  constructor(
    readonly dataset: D,
    opts: DataLoaderOptions<ItemOf<D>, Batch> = {},
  ) {
    const { batchSize = 1, shuffle = false, seed = 0, dropLast = false, prefetch = true } = opts;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw namedError("ValueError", `batch_size should be a positive integer value, but got batch_size=${batchSize}`);
    }
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    const own = dataset.collate?.bind(dataset) as ((items: ItemOf<D>[]) => Batch) | undefined;
    this.collateFn = opts.collate ?? own ?? ((items: ItemOf<D>[]) => items as unknown as Batch);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The item order of an epoch: 0..n-1, or a permutation drawn from (seed, epoch). */
  indices(epoch: number): number[] {
    const n = this.dataset.length;
    return this.shuffle ? new Prng(mixSeed(this.seed, epoch)).permutation(n) : Array.from({ length: n }, (_, i) => i);
  }

  [Symbol.asyncIterator](): AsyncGenerator<Batch> {
    return this.iterate();
  }

  async *iterate(opts: IterateOptions = {}): AsyncGenerator<Batch> {
    // The caller's signal, or the kernel cell's: an interrupt stops the iteration.
    const signal = interruptSignal(opts.signal);
    const epoch = opts.epoch ?? this.nextEpoch;
    this.nextEpoch = epoch + 1;
    const order = this.indices(epoch);
    const batches = this.length;
    const load = (b: number): Promise<ItemOf<D>[]> => {
      const ids = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
      const p = Promise.all(ids.map((i) => this.dataset.get(i)));
      p.catch(() => undefined); // awaited later; a prefetch the caller never reaches must not be an unhandled rejection
      return p;
    };
    let pending = batches > 0 ? load(0) : null;
    for (let b = 0; b < batches; b++) {
      pollInterrupt();
      signal?.throwIfAborted();
      const current = pending ?? load(b);
      pending = null;
      if (this.prefetch && b + 1 < batches) {
        // Started before the current batch is awaited, so both are in flight together.
        pending = load(b + 1);
      }
      const items = await untilAborted(current, signal);
      signal?.throwIfAborted();
      yield this.collateFn(items);
    }
  }
}

/** Resolves as p does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
