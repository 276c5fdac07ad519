// Makes async cell code stop when interrupted.
//
// vm's breakOnSigint stops only the synchronous start of a cell. Code that runs after an
// `await` runs from the microtask queue, outside any vm script, where SIGINT cannot reach
// it; and a promise chain cannot be cancelled from outside. So the transpiled cell checks
// for itself:
//   - every `await e` becomes `__lab_resume(await e)`: after each wait the cell learns that
//     it was interrupted and throws KeyboardInterrupt (also in functions it defined);
//   - every loop starts its body with `if (__lab_flag[0] !== __lab_flag[2]) __lab_tick();`:
//     two plain loads of the shared interrupt counters (a call per iteration made a tight
//     loop 10x slower; this costs about nothing once optimised), so an interrupt lands between iterations, where the user's state is whole
//     (a tensor made by one iteration and freed at its end is freed). vm's breakOnSigint
//     (SIGINT) remains the fallback for code that reaches no check, e.g. one long kernel.
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

export function instrumentInterrupts(js: string): string {
  if (!MAY_NEED.test(js)) return js;
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const inserts: Insert[] = [];
  // rank orders inserts at the same position: lower rank ends up first in the text
  const visit = (n: ts.Node): void => {
    if (ts.isAwaitExpression(n)) {
      inserts.push({ pos: n.getStart(sf), text: `${RESUME}(`, rank: 1 }, { pos: n.end, text: ")", rank: 0 });
    }
    if (isLoop(n)) {
      const body = n.statement;
      // `for await` resumes from a wait on every iteration: it needs the full check
      const check = ts.isForOfStatement(n) && n.awaitModifier ? `${RESUME}()` : LOOP_CHECK;
      if (ts.isBlock(body)) {
        inserts.push({ pos: body.getStart(sf) + 1, text: ` ${check};`, rank: 0 });
      } else {
        inserts.push({ pos: body.getStart(sf), text: `{ ${check}; `, rank: 0 }, { pos: body.end, text: " }", rank: 1 });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (inserts.length === 0) return js;
  // applied from the end, and at one position highest rank first, so offsets stay valid
  inserts.sort((a, b) => b.pos - a.pos || b.rank - a.rank);
  let out = js;
  for (const i of inserts) out = out.slice(0, i.pos) + i.text + out.slice(i.pos);
  return out;
}
