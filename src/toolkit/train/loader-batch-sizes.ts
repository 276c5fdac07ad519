/**
 * YOLOv5/YOLOv9 loader batch sizes for a given WORLD_SIZE (train.py / train_dual.py):
 * train `batch_size // WORLD_SIZE`, validation `batch_size // WORLD_SIZE * 2`.
 * The doubled validation batch is what CASES.md case 4 is about; pass `valMultiplier: 1` for the fix.
 */
export function loaderBatchSizes(batchSize: number, worldSize = 1, opts: { valMultiplier?: number } = {}): { train: number; val: number } {
  if (!(worldSize >= 1)) throw new RangeError(`worldSize must be >= 1, got ${worldSize}`);
  const perRank = Math.floor(batchSize / worldSize);
  return { train: perRank, val: perRank * (opts.valMultiplier ?? 2) };
}
