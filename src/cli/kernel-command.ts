// `tfjs-lab kernel CONNECTION_FILE`: what the kernelspec's argv runs.
import * as path from "node:path";
import { startKernel } from "../kernel";
import { createToolkitEngine } from "./toolkit-engine";
import { installOutputCapture } from "../engine/cell-context";

const LAUNCH_PARENT = process.ppid;

export async function kernelCommand(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) {
    process.stderr.write("Usage: tfjs-lab kernel CONNECTION_FILE\n");
    return 2;
  }
  // The process's own stderr (the terminal running Jupyter), not the running cell's output.
  const stderr = installOutputCapture().log;
  const log = (line: string) => stderr(`[tfjs-lab] ${line}`);
  let warm: (() => Promise<void>) | undefined;
  const kernel = await startKernel(
    path.resolve(file),
    () => {
      const engine = createToolkitEngine({ cwd: process.cwd(), log });
      warm = () => engine.warmUp();
      return engine;
    },
    { log },
  );
  // Load the compiler and the backend once the kernel answers, not before: start-up stays fast.
  setTimeout(() => void warm?.().catch((e) => log(`warm-up failed: ${(e as Error).message}`)), 300);
  exitWhenOrphaned(log);
  const { restart } = await kernel.closed;
  log(restart ? "restart requested: exiting so the front end starts a new kernel" : "shut down");
  // Timers or sockets left by user code must not keep a shut-down kernel alive.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}

/**
 * Like ipykernel's parent poller: when the process that started the kernel (Jupyter) dies,
 * the kernel is re-parented and exits instead of living on unseen.
 */
function exitWhenOrphaned(log: (line: string) => void): void {
  // Jupyter names its pid in JPY_PARENT_PID; otherwise the parent we had when loaded.
  const parent = Number(process.env.JPY_PARENT_PID) || LAUNCH_PARENT;
  const gone = () => {
    if (process.ppid !== LAUNCH_PARENT && process.ppid !== parent) return true;
    try {
      process.kill(parent, 0);
      return false;
    } catch (e) {
      return (e as { code?: string }).code === "ESRCH";
    }
  };
  setInterval(() => {
    if (gone()) {
      log(`parent process ${parent} is gone: exiting`);
      process.exit(1);
    }
  }, 1000).unref();
}
