// Where a trivial cell's time goes inside the engine (no sockets), as medians over many runs
// in one process: engine.execute() of the same `1+1` again and again (what the kernel bench
// sends; a repeated cell reuses its conversion), of a different trivial cell each time
// (`1`, `2`, ...: the TypeScript program is rebuilt), and the compiler's convert() alone.
// `node dist/bench/engine/trivial-cell.js [runs]`; add --cpu-prof to node for a profile.
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { createCompiler } from "../../src/engine/compiler";
import { PRELUDE_DECL } from "../../src/engine/preload";
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

function timeMs(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface TrivialCellTimes {
  engineMs: number;
  engineDistinctMs: number;
  convertMs: number;
  convertWithLocalMs: number;
}

export async function trivialCellTimes(runs = 300): Promise<TrivialCellTimes> {
  const engine = createToolkitEngine({ log: () => {} });
  await engine.warmUp();
  const cells: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const t0 = process.hrtime.bigint();
    const r = await engine.execute("1+1", quiet);
    if (r.status !== "ok") throw new Error(`bench cell failed: ${JSON.stringify(r)}`);
    if (i >= 20) cells.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const distinct: number[] = [];
  for (let i = 0; i < Math.min(runs, 100); i++) {
    const t0 = process.hrtime.bigint();
    await engine.execute(String(i), quiet);
    distinct.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await engine.shutdown();
  const compiler = createCompiler(process.cwd(), PRELUDE_DECL);
  compiler.convert("tf; aq; lab; display;");
  const converts: number[] = [],
    withLocal: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const a = timeMs(() => compiler.convert("1+1"));
    const b = timeMs(() => compiler.convert(`const x${i % 2} = ${i};`));
    if (i >= 20) {
      converts.push(a);
      withLocal.push(b);
    }
  }
  compiler.close();
  return {
    engineMs: median(cells),
    engineDistinctMs: median(distinct),
    convertMs: median(converts),
    convertWithLocalMs: median(withLocal),
  };
}

if (require.main === module) {
  trivialCellTimes(Number(process.argv[2] ?? 300)).then((r) => {
    process.stdout.write(
      `trivial cell through the engine: ${r.engineMs.toFixed(2)} ms repeated, ${r.engineDistinctMs.toFixed(2)} ms a different one each time; convert("1+1") repeated: ${r.convertMs.toFixed(2)} ms; convert of a different cell declaring a const each time: ${r.convertWithLocalMs.toFixed(2)} ms\n`,
    );
    process.exit(0);
  });
}
