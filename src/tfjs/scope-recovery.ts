// Puts TensorFlow.js's engine back in order after a computation was cut short.
//
// After an interrupt: vm's breakOnSigint terminates execution, so no `finally` runs; a
// `tidy` or a gradient computation in progress leaves its scope open (every later tensor is
// tracked there and never freed) and its tape active (later `minimize` calls fail). An
// interrupt thrown as an exception (our checks) unwinds normally and leaves nothing to do.
//
// After an exception escaped a gradient computation: the engine keeps the tape and the
// tensors saved for the backward pass (tfjs `keep`s them).
import { engineInternals, isTfLoaded, type EngineState } from "./internals";

function disposeTape(state: EngineState): void {
  if (state.activeTape) for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** Closes the scopes and the tape an interrupted step left open; returns how many scopes were closed. */
export function closeAbandonedTfScopes(): number {
  // Nothing to repair if no cell has loaded TensorFlow.js yet (and no reason to load it now).
  if (!isTfLoaded()) return 0;
  const engine = engineInternals();
  const state = engine.state;
  let closed = 0;
  // endScope disposes the tensors tracked in the scope (what the interrupted code created)
  while (state.scopeStack.length > 0) {
    engine.endScope();
    closed++;
  }
  disposeTape(state);
  state.gradientDepth = 0;
  state.kernelDepth = 0;
  state.numDataMovesStack = [];
  return closed;
}

/**
 * Disposes the tape and its saved tensors that a failed gradient computation left behind,
 * so an aborted or failed step returns all its memory. Does nothing while a gradient
 * computation is still running (an outer one may own the tape).
 */
export function discardAbandonedTape(): void {
  const state = engineInternals().state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  disposeTape(state);
}
