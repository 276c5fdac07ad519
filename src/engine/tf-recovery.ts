// Puts TensorFlow.js's engine back in order after a blocking cell was stopped by SIGINT.
// vm's breakOnSigint terminates execution: no `finally` runs, so a `tidy` or a gradient
// computation in progress leaves its scope open (every later tensor is tracked there and
// never freed) and its tape active (later `minimize` calls fail). An interrupt thrown as
// an exception (our checks) unwinds normally and leaves nothing to do here.

interface TfEngineState {
  scopeStack: unknown[];
  activeTape: { saved?: { dispose(): void }[] }[] | null;
  gradientDepth: number;
  kernelDepth: number;
  numDataMovesStack: number[];
}
interface TfEngine {
  state: TfEngineState;
  endScope(result?: unknown): void;
}

/** Closes the scopes and the tape an interrupted step left open; returns how many scopes were closed. */
export function closeAbandonedTfScopes(): number {
  // Nothing to repair if no cell has loaded TensorFlow.js yet (and no reason to load it now).
  const id = require.resolve("@tensorflow/tfjs");
  if (!require.cache[id]) return 0;
  const engine = (require(id) as { engine(): unknown }).engine() as TfEngine;
  const state = engine.state;
  let closed = 0;
  // endScope disposes the tensors tracked in the scope (what the interrupted code created)
  while (state.scopeStack.length > 0) {
    engine.endScope();
    closed++;
  }
  if (state.activeTape) for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
  state.gradientDepth = 0;
  state.kernelDepth = 0;
  state.numDataMovesStack = [];
  return closed;
}
