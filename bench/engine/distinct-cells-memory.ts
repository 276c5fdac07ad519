// Memory of a long session whose cells are all different (the soak test repeats its cells, which
// the compiler cache serves): every cell is type-checked against everything declared so far, and
// half of them declare a new name. Prints RSS, V8's committed and used heap and live tensors
// every `every` cells, so growth per new cell can be read off (it should flatten, not climb).
// `node --expose-gc dist/bench/engine/distinct-cells-memory.js [cells] [every]`
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import type { OutputSink } from "../../src/engine/types";

const quiet: OutputSink = {
  stream() {},
  display() {},
  executeResult() {},
  error() {},
  clearOutput() {},
  requestInput: () => Promise.reject(new Error("no stdin")),
};
const MiB = 1024 * 1024;

/** The text of an expression's value, evaluated as a cell. */
async function valueOfExpression(engine: ReturnType<typeof createToolkitEngine>, expr: string): Promise<string> {
  let text = "";
  await engine.execute(expr, {
    ...quiet,
    executeResult: (_n, data) => {
      text = String(data["text/plain"]);
    },
  });
  return text;
}

/** Cell `i`: odd cells do tensor work with their own constant, even ones declare `v<i>`. */
function cell(i: number): string {
  return i % 2 ? `{ const t = tf.tidy(() => tf.ones([4, 4]).mul(${i}).sum()); t.dataSync(); t.dispose(); }` : `const v${i} = ${i} + 1;`;
}

async function main(): Promise<void> {
  const cells = Number(process.argv[2] ?? 2000);
  const every = Number(process.argv[3] ?? 250);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) console.error("run node with --expose-gc for steadier figures");
  // the engine captures console output for cells: write the table straight to stdout
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const engine = createToolkitEngine({ log: () => {} });
  const t0 = Date.now();
  write("| cells | RSS MiB | heap committed MiB | heap used MiB | live tensors | seconds |");
  write("|---|---|---|---|---|---|");
  for (let i = 0; i <= cells; i++) {
    const reply = await engine.execute(cell(i), quiet);
    if (reply.status !== "ok") throw new Error(`cell ${i} failed: ${JSON.stringify(reply)}`);
    if (i % every === 0) {
      gc?.();
      const m = process.memoryUsage();
      const tensors = await valueOfExpression(engine, "tf.memory().numTensors");
      write(
        `| ${i} | ${(m.rss / MiB).toFixed(0)} | ${(m.heapTotal / MiB).toFixed(0)} | ${(m.heapUsed / MiB).toFixed(0)} | ${tensors} | ${((Date.now() - t0) / 1000).toFixed(0)} |`,
      );
    }
  }
  await engine.shutdown();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
