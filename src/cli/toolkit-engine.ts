// The engine as the kernel and the notebook runner use it: wired to the toolkit. The engine
// knows no TensorFlow.js and the toolkit knows no kernel; this file is where they meet.
//   - before the first cell: select the backend (tfjs-node, WebGPU, our wasm, cpu), as
//     `lab.initBackend()` does for a plain script, so a cell and a script get the same one;
//   - after an interrupt: close the TensorFlow.js scopes a cell stopped by SIGINT left open;
//   - tracebacks: frames inside tfjs-lab's own backend code collapse like a package's;
//   - the toolkit's loops (Trainer, DataLoader, memory phases) stop when the cell that
//     started them is interrupted.
import type * as tfjsLayer from "../tfjs";
import { createEngine, type EngineHooks, type EngineOptions, type LabEngine } from "../engine";
import { closeAbandonedTfScopes } from "../tfjs/scope-recovery";
import { setInterruptHost } from "../toolkit/interrupt";

const OWN_BACKEND_FRAME = /[\\/]dist[\\/]src[\\/]tfjs[\\/]/;

export const toolkitHooks: EngineHooks = {
  async beforeFirstCell(log) {
    // Loaded here, not at start-up: the kernel answers kernel_info before TensorFlow.js loads.
    const { initBackend } = require("../tfjs") as typeof tfjsLayer;
    await initBackend({ log });
  },
  afterInterrupt() {
    const closed = closeAbandonedTfScopes();
    return closed > 0 ? `closed ${closed} TensorFlow.js scope(s) the interrupted code left open` : undefined;
  },
  frameLibrary: (frame) => (OWN_BACKEND_FRAME.test(frame) ? "tfjs-lab's backend kernels" : undefined),
};

export function createToolkitEngine(options: Omit<EngineOptions, "hooks"> = {}): LabEngine {
  const engine = createEngine({ ...options, hooks: toolkitHooks });
  setInterruptHost(engine.interrupts);
  return engine;
}
