// Makes async cell code stop when interrupted.
//
// vm's breakOnSigint stops only the synchronous start of a cell. Code that runs after an
// `await` runs from the microtask queue, outside any vm script, where SIGINT cannot reach
// it; and a promise chain cannot be cancelled from outside. So the transpiled cell checks
// for itself:
//   - every `await e` becomes `__lab_resume(await e)`: after each wait the cell learns that
//     it was interrupted and throws KeyboardInterrupt (also in functions it defined);
//   - every loop that calls anything starts its body with
//     `if (__lab_flag[0] !== __lab_flag[2]) __lab_tick();`: two plain loads of the shared
//     interrupt counters, so an interrupt lands between iterations, where the user's state
//     is whole (a tensor made by one iteration and freed at its end is freed), never inside
//     TensorFlow.js's bookkeeping. One kind of loop is left bare: a loop that calls
//     nothing (`x += i`, `while (true) {}`) at the top level of a cell that never waits.
//     It runs inside the vm script, where SIGINT (breakOnSigint, the control worker's
//     fallback) stops it just as cleanly, and the check made it run cold about 4x slower.
//     The same loop in a function or after an `await` may run from a timer or a microtask,
//     where SIGINT cannot reach, so it keeps its check.
import * as ts from "@tslab/typescript-for-tslab";
import { RAISED, SEEN } from "./interrupt-flag";

export const RESUME = "__lab_resume";
export const TICK = "__lab_tick";
export const FLAG = "__lab_flag";
const LOOP_CHECK = `if (${FLAG}[${RAISED}] !== ${FLAG}[${SEEN}]) ${TICK}()`;

interface Insert { pos: number; text: string; rank: number }

function isLoop(n: ts.Node): n is ts.IterationStatement {
  return ts.isForStatement(n) || ts.isForInStatement(n) || ts.isForOfStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
}

const MAY_NEED = /\b(await|for|while|do)\b/;

/** Whether running `n` can enter other code: a call, `new`, an iterator, a wait. */
function callsOut(n: ts.Node): boolean {
  if (ts.isCallExpression(n) || ts.isForOfStatement(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n) ||
      ts.isAwaitExpression(n) || ts.isYieldExpression(n) || ts.isSpreadElement(n)) return true;
  return ts.forEachChild(n, callsOut) ?? false;
}

/** Whether the cell's own code (not the functions it defines) waits anywhere. */
function waitsAtTopLevel(n: ts.Node): boolean {
  if (ts.isFunctionLike(n) || ts.isClassLike(n)) return false;
  if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) return true;
  return ts.forEachChild(n, waitsAtTopLevel) ?? false;
}

export function instrumentInterrupts(js: string): string {
  if (!MAY_NEED.test(js)) return js;
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const inserts: Insert[] = [];
  const sigintReachesTopLevel = !waitsAtTopLevel(sf);
  let functionDepth = 0;
  // rank orders inserts at the same position: lower rank ends up first in the text
  const visit = (n: ts.Node): void => {
    if (ts.isAwaitExpression(n)) {
      inserts.push({ pos: n.getStart(sf), text: `${RESUME}(`, rank: 1 }, { pos: n.end, text: ")", rank: 0 });
    }
    const forAwait = ts.isForOfStatement(n) && !!n.awaitModifier;
    const sigintReaches = sigintReachesTopLevel && functionDepth === 0;
    if (isLoop(n) && (forAwait || !sigintReaches || callsOut(n))) {
      const body = n.statement;
      // `for await` resumes from a wait on every iteration: it needs the full check
      const check = forAwait ? `${RESUME}()` : LOOP_CHECK;
      if (ts.isBlock(body)) {
        inserts.push({ pos: body.getStart(sf) + 1, text: ` ${check};`, rank: 0 });
      } else {
        inserts.push({ pos: body.getStart(sf), text: `{ ${check}; `, rank: 0 }, { pos: body.end, text: " }", rank: 1 });
      }
    }
    const enters = ts.isFunctionLike(n) || ts.isClassLike(n);
    if (enters) functionDepth++;
    ts.forEachChild(n, visit);
    if (enters) functionDepth--;
  };
  visit(sf);
  if (inserts.length === 0) return js;
  // applied from the end, and at one position highest rank first, so offsets stay valid
  inserts.sort((a, b) => b.pos - a.pos || b.rank - a.rank);
  let out = js;
  for (const i of inserts) out = out.slice(0, i.pos) + i.text + out.slice(i.pos);
  return out;
}
