// Frees, during a backward pass, what it no longer needs, as PyTorch's autograd does: once a
// tape node's gradient has run, the tensors the node saved for it and the gradients of its
// outputs. TensorFlow.js keeps both until the whole backward pass ends, so a training step's
// peak held every saved activation and every activation's gradient at once (about 2.5x
// PyTorch's peak on the bench's small CNN; `node dist/bench/toolkit/train-threads.js`).
//
// How: engine.addTapeNode is wrapped so that each node's gradient function, when it runs in
// a backward pass, first releases what the node before it (in backward order) held. A
// gradient tensor is freed only when no input's gradient still holds it (a custom gradient
// may hand its dy through, to one input or several); the first node's dy is the caller's (or
// ones) and is left alone. Only the outermost gradients() releases, the case in which TensorFlow.js
// itself frees the saved tensors at the end; a nested one (a gradient computed inside
// another's forward or backward) turns releasing off for that pass. TFJS_LAB_TAPE_RELEASE=0
// turns it off (see releaseOn).
import * as tf from "@tensorflow/tfjs";

export const TAPE_RELEASE_ENV_VAR = "TFJS_LAB_TAPE_RELEASE";

type GradFns = Record<string, () => tf.Tensor>;
interface TapeNode {
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => GradFns;
}
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode(...args: unknown[]): void;
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): unknown;
}

/**
 * One backward pass: armed once its forward has returned. `pending`: for a gradient tensor a
 * node's gradient produced, how many gradient slots (inputs' accumulated gradients) hold it
 * and are still to be read; a tensor no node produced (a sum of two gradients) is in one.
 */
interface Pass {
  armed: boolean;
  disabled: boolean;
  calls: number;
  pending: Map<tf.Tensor, number>;
  previous?: { node: TapeNode; dys: (tf.Tensor | null)[]; first: boolean };
}

let pass: Pass | undefined;
let depth = 0;
const patched = new WeakSet<object>();

/** After a node's gradient has run: its saved tensors, and its dys no slot still holds. */
function release(p: Pass): void {
  const prev = p.previous;
  p.previous = undefined;
  if (!prev) return;
  for (const t of prev.node.saved ?? []) t.dispose();
  // The first node's dy is the seed (the caller's dy, or ones): not ours to free.
  if (prev.first) return;
  for (const dy of prev.dys) {
    if (!dy) continue;
    const left = (p.pending.get(dy) ?? 1) - 1;
    if (left > 0) {
      p.pending.set(dy, left);
      continue;
    }
    p.pending.delete(dy);
    if (!dy.isDisposed) dy.dispose();
  }
}

function wrapNode(node: TapeNode): void {
  const inner = node.gradient;
  if (!inner) return;
  node.gradient = (dys) => {
    const p = pass;
    if (!p?.armed || p.disabled || depth !== 1) return inner(dys);
    release(p);
    const grads = inner(dys);
    const wrapped: GradFns = {};
    for (const name of Object.keys(grads)) {
      wrapped[name] = () => {
        const dx = grads[name]();
        // A dy handed through unchanged is in its own slot and now in the input's too.
        p.pending.set(dx, (p.pending.get(dx) ?? (dys.includes(dx) ? 1 : 0)) + 1);
        return dx;
      };
    }
    p.previous = { node, dys: [...dys], first: p.calls === 0 };
    p.calls++;
    return wrapped;
  };
}

/** Whether passes release now: on unless TFJS_LAB_TAPE_RELEASE=0, read at each pass. */
function releaseOn(): boolean {
  return process.env[TAPE_RELEASE_ENV_VAR] !== "0";
}

/** Installs the release on TensorFlow.js's engine (idempotent). */
export function installTapeRelease(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (patched.has(engine)) return;
  patched.add(engine);
  const addTapeNode = engine.addTapeNode.bind(engine);
  engine.addTapeNode = (...args: unknown[]) => {
    addTapeNode(...args);
    const tape = engine.state.activeTape;
    if (tape && tape.length > 0) wrapNode(tape[tape.length - 1]);
  };
  const gradients = engine.gradients.bind(engine);
  engine.gradients = (f, xs, dy, allowNoGradients) => {
    const outer = pass;
    // Nested, or inside a tape that records this call (TensorFlow.js then keeps the saved tensors too): no release.
    if (outer) outer.disabled = true;
    const mine: Pass | undefined =
      outer || engine.state.gradientDepth > 0 || !releaseOn() ? undefined : { armed: false, disabled: false, calls: 0, pending: new Map() };
    if (mine) pass = mine;
    depth++;
    try {
      return gradients(
        () => {
          const y = f();
          if (mine) mine.armed = true;
          return y;
        },
        xs,
        dy,
        allowNoGradients,
      );
    } finally {
      depth--;
      if (mine) pass = outer;
    }
  };
}
