// Does the magic layer cost anything for cells that use no magic? Times, in one process:
// parsing a cell for magics (what every cell pays), and a whole trivial cell through the
// engine, and prints the parse cost as a share of the cell.
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { parseCell } from "../../src/magics/parse";
import type { OutputSink } from "../../src/engine/types";

const quiet: OutputSink = {
  stream() {},
  display() {},
  executeResult() {},
  error() {},
  clearOutput() {},
  requestInput: () => Promise.reject(new Error("no stdin")),
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function medianCellMs(engine: ReturnType<typeof createToolkitEngine>, code: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = await engine.execute(code, quiet);
    if (r.status !== "ok") throw new Error(`bench cell failed: ${JSON.stringify(r)}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

export interface MagicOverhead {
  parseUs: number;
  cellMs: number;
  share: number;
  tensorCellMs: number;
  tensorCellTrackedMs: number;
}

export async function magicOverhead(): Promise<MagicOverhead> {
  const cell =
    "const images = tf.zeros([8, 64, 64, 3]);\nconst out = images.mean();\nout.dataSync()[0];\nimages.dispose(); out.dispose();\n".repeat(
      4,
    );
  const parses: number[] = [];
  for (let r = 0; r < 30; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) parseCell(cell);
    parses.push(Number(process.hrtime.bigint() - t0) / 1e3 / 1000);
  }
  const engine = createToolkitEngine({ log: () => {} });
  await engine.execute("1", quiet);
  const cells: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    await engine.execute("1", quiet);
    cells.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  // %memory and %%memit track every tensor once used; a tensor-heavy cell before and after.
  const tensorCell = "for (let i = 0; i < 200; i++) tf.tidy(() => tf.ones([64, 64]).add(1).mul(2).sum());";
  await engine.execute(tensorCell, quiet);
  const tensorCellMs = await medianCellMs(engine, tensorCell, 15);
  await engine.execute("%memory", quiet);
  await engine.execute(tensorCell, quiet);
  const tensorCellTrackedMs = await medianCellMs(engine, tensorCell, 15);
  await engine.shutdown();
  const parseUs = median(parses),
    cellMs = median(cells);
  return { parseUs, cellMs, share: parseUs / 1000 / cellMs, tensorCellMs, tensorCellTrackedMs };
}

if (require.main === module) {
  magicOverhead().then((r) => {
    process.stderr.write(
      `magic parse of a 16-line cell: ${r.parseUs.toFixed(1)} µs; trivial cell through the engine: ${r.cellMs.toFixed(2)} ms; parse share ${(r.share * 100).toFixed(2)}%\n` +
        `800-op tensor cell: ${r.tensorCellMs.toFixed(1)} ms; after %memory turned tracking on: ${r.tensorCellTrackedMs.toFixed(1)} ms (${(r.tensorCellTrackedMs / r.tensorCellMs).toFixed(2)}x)\n`,
    );
    process.exit(0);
  });
}
