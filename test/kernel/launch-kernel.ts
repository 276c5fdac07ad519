// Test launcher: `node dist/test/kernel/launch-kernel.js <connection_file>` starts the
// kernel on the real engine, as `tfjs-lab kernel` does, for the tests that drive it through
// jupyter_client. Uses the CLI when it exists (see kernel-harness.ts), this otherwise.
import { startKernel } from "../../src/kernel";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: launch-kernel.js <connection_file>\n");
    process.exit(2);
  }
  // Keep a handle on the real stderr: the engine routes process.stderr of cells into cells.
  const stderr = process.stderr.write.bind(process.stderr);
  const log = (line: string) => void stderr(`[kernel] ${line}\n`);
  const kernel = await startKernel(file, () => createToolkitEngine({ log }), { log });
  const { restart } = await kernel.closed;
  log(`shut down (restart=${restart})`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`kernel failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
