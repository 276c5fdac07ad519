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
import { RAISED, SEEN } from "../interrupt-flag";
import type { CellTransform } from "./compiled-cell";
import { callsOut, isFunctionOrClass, isLoop } from "./predicates";

export const RESUME = "__lab_resume";
export const TICK = "__lab_tick";
export const FLAG = "__lab_flag";
const LOOP_CHECK = `if (${FLAG}[${RAISED}] !== ${FLAG}[${SEEN}]) ${TICK}()`;

export const insertInterruptChecks: CellTransform = {
  name: "interrupt checks",
  collect(cell, edits) {
    const sf = cell.tree;
    const sigintReachesTopLevel = !cell.awaitsAtTopLevel;
    let functionDepth = 0;
    // At one position, a lower order comes first in the text: `{ check; __lab_resume(await p) }`.
    const visit = (n: ts.Node): void => {
      if (ts.isAwaitExpression(n)) {
        edits.insert(n.getStart(sf), `${RESUME}(`, 1);
        edits.insert(n.end, ")", 0);
      }
      const forAwait = ts.isForOfStatement(n) && !!n.awaitModifier;
      const sigintReaches = sigintReachesTopLevel && functionDepth === 0;
      if (isLoop(n) && (forAwait || !sigintReaches || callsOut(n))) {
        const body = n.statement;
        // `for await` resumes from a wait on every iteration: it needs the full check
        const check = forAwait ? `${RESUME}()` : LOOP_CHECK;
        if (ts.isBlock(body)) {
          edits.insert(body.getStart(sf) + 1, ` ${check};`);
        } else {
          edits.insert(body.getStart(sf), `{ ${check}; `, 0);
          edits.insert(body.end, " }", 1);
        }
      }
      const enters = isFunctionOrClass(n);
      if (enters) functionDepth++;
      ts.forEachChild(n, visit);
      if (enters) functionDepth--;
    };
    visit(sf);
  },
};
