import { test } from "node:test";
import assert from "node:assert/strict";
import { DataLoader, type Dataset } from "../../src/toolkit/data";

/** Items are their own indices; `log` records get() calls and batch hand-outs in order. */
class Numbers implements Dataset<number> {
  log: string[] = [];
  constructor(
    readonly length: number,
    private readonly delayMs = 0,
    private readonly failAt = -1,
  ) {}
  async get(i: number): Promise<number> {
    this.log.push(`get ${i}`);
    // Long delays are unref'd so an aborted test does not keep the process alive waiting for them.
    if (this.delayMs) await new Promise((r) => (this.delayMs > 1000 ? setTimeout(r, this.delayMs).unref() : setTimeout(r, this.delayMs)));
    if (i === this.failAt) throw new Error(`item ${i} is broken`);
    return i;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test("batches in order without shuffle; the last batch is short unless dropLast", async () => {
  const keep = new DataLoader(new Numbers(10), { batchSize: 4 });
  assert.equal(keep.length, 3);
  assert.deepEqual(await collect(keep), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  const drop = new DataLoader(new Numbers(10), { batchSize: 4, dropLast: true });
  assert.equal(drop.length, 2);
  assert.deepEqual(await collect(drop), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  assert.equal(new DataLoader(new Numbers(8), { batchSize: 4, dropLast: true }).length, 2);
  assert.equal(new DataLoader(new Numbers(3), { batchSize: 4, dropLast: true }).length, 0);
  assert.deepEqual(await collect(new DataLoader(new Numbers(3), { batchSize: 4, dropLast: true })), []);
});

test("shuffle: a permutation per epoch, repeatable from the seed, different across epochs and seeds", async () => {
  const a = new DataLoader(new Numbers(20), { batchSize: 5, shuffle: true, seed: 1 });
  const b = new DataLoader(new Numbers(20), { batchSize: 5, shuffle: true, seed: 1 });
  const c = new DataLoader(new Numbers(20), { batchSize: 5, shuffle: true, seed: 2 });
  const a0 = (await collect(a)).flat();
  const a1 = (await collect(a)).flat();
  assert.deepEqual(
    [...a0].sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.notDeepEqual(
    a0,
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.notDeepEqual(a0, a1, "epochs differ");
  assert.deepEqual((await collect(b)).flat(), a0, "same seed, same first epoch");
  assert.deepEqual((await collect(b)).flat(), a1, "same seed, same second epoch");
  assert.notDeepEqual((await collect(c)).flat(), a0, "other seed, other order");
  assert.deepEqual((await collect(a.iterate({ epoch: 0 }))).flat(), a0, "an explicit epoch replays its order");
});

test("collate: the option overrides the dataset's own", async () => {
  const sum = new DataLoader(new Numbers(6), { batchSize: 3, collate: (xs) => xs.reduce((s, x) => s + x, 0) });
  assert.deepEqual(await collect(sum), [3, 12]);
  class WithCollate extends Numbers {
    collate(xs: number[]): string {
      return xs.join("+");
    }
  }
  assert.deepEqual(await collect(new DataLoader(new WithCollate(4), { batchSize: 2 })), ["0+1", "2+3"]);
});

test("the next batch is loaded before the current one is handed out (prefetch of one)", async () => {
  const ds = new Numbers(6, 1);
  for await (const batch of new DataLoader(ds, { batchSize: 2 })) ds.log.push(`use ${batch.join(",")}`);
  assert.deepEqual(ds.log, ["get 0", "get 1", "get 2", "get 3", "use 0,1", "get 4", "get 5", "use 2,3", "use 4,5"]);
});

test("an abort before or during loading stops the iteration with the signal's reason", async () => {
  const before = new AbortController();
  before.abort();
  await assert.rejects(collect(new DataLoader(new Numbers(4)).iterate({ signal: before.signal })), { name: "AbortError" });

  // Items take 10 s each: only the abort can end this quickly.
  const slow = new Numbers(4, 10_000);
  const during = new AbortController();
  const seen: number[][] = [];
  const run = (async () => {
    for await (const b of new DataLoader(slow, { batchSize: 2 }).iterate({ signal: during.signal })) seen.push(b);
  })();
  setTimeout(() => during.abort(), 20);
  await assert.rejects(run, { name: "AbortError" });
  assert.deepEqual(seen, []);

  const between = new AbortController();
  const got: number[][] = [];
  await assert.rejects(
    (async () => {
      for await (const b of new DataLoader(new Numbers(6), { batchSize: 2 }).iterate({ signal: between.signal })) {
        got.push(b);
        between.abort(new Error("interrupted by the kernel"));
      }
    })(),
    { message: "interrupted by the kernel" },
  );
  assert.deepEqual(got, [[0, 1]]);
});

test("a failing item rejects the iteration; a failing prefetch after an early break is not an unhandled rejection", async () => {
  await assert.rejects(collect(new DataLoader(new Numbers(4, 0, 2), { batchSize: 2 })), { message: "item 2 is broken" });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    for await (const b of new DataLoader(new Numbers(4, 0, 3), { batchSize: 2 })) {
      assert.deepEqual(b, [0, 1]);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test("batch size must be a positive integer (PyTorch's ValueError)", () => {
  assert.throws(() => new DataLoader(new Numbers(4), { batchSize: 0 }), {
    name: "ValueError",
    message: "batch_size should be a positive integer value, but got batch_size=0",
  });
});
