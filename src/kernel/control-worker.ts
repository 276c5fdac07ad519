// Worker thread that keeps the heartbeat and the control channel answering while the main
// thread is busy (a cell running `while (true) {}` blocks the main event loop). It answers
// interrupt_request itself: it raises the shared interrupt flag, which running cell code
// checks between loop iterations and after awaits, tells the main thread (for a cell that
// is waiting), and if nothing acknowledged the interrupt within a grace period (code inside
// one long call that reaches no check) raises SIGINT, which vm's breakOnSigint turns into
// an exception wherever the code is. Other control requests go to the main thread; a
// shutdown_request the main thread has not taken up within a second (a blocking cell holds
// it) interrupts the cell first, so the shutdown goes ahead as soon as the cell stops.
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";
import { Session } from "./session";
import { Signer, parseMessage, serializeMessage } from "./wire";
import type { ControlWorkerData, MainToWorker, WorkerToMain } from "./control-protocol";
import { InterruptFlag } from "../engine/interrupt-flag";

const data = workerData as ControlWorkerData;
const port = parentPort!;
const post = (m: WorkerToMain) => port.postMessage(m);
const log = (line: string) => post({ kind: "log", line });

const interruptFlag = new InterruptFlag(data.interruptBuffer);
/** How long cell code has to reach an interrupt check before SIGINT stops it wherever it is. */
const SIGINT_GRACE_MS = 300;
/** How long a shutdown_request may wait for the main thread before the running cell is interrupted. */
const SHUTDOWN_INTERRUPT_AFTER_MS = 1000;
/** Set when the main thread begins shutting down. */
let mainClosing = false;
const signer = new Signer(data.key, data.signatureScheme);
const session = new Session(data.sessionId);
const control = new zmq.Router({ sendTimeout: 0, linger: 1000 });
const hb = new zmq.Reply({ linger: 0 });

async function echoHeartbeats(): Promise<void> {
  try {
    for await (const frames of hb) await hb.send(frames);
  } catch (e) {
    if (!hb.closed) log(`heartbeat stopped: ${(e as Error).message}`);
  }
}

/** Raises the shared flag, tells the main thread, and falls back to SIGINT if no check saw it. */
function interruptRunningCell(): void {
  const generation = interruptFlag.raise();
  post({ kind: "interrupt" });
  setTimeout(() => {
    if (!interruptFlag.acknowledged(generation)) process.kill(process.pid, "SIGINT");
  }, SIGINT_GRACE_MS);
}

async function serveControl(): Promise<void> {
  try {
    for await (const frames of control) {
      let msg: ReturnType<typeof parseMessage>;
      try {
        msg = parseMessage(frames, signer);
      } catch (e) {
        log(`control: dropped a message: ${(e as Error).message}`);
        continue;
      }
      if (msg.header.msg_type === "interrupt_request") {
        interruptRunningCell();
        const reply = session.message("interrupt_reply", { status: "ok" }, msg, { identities: msg.identities });
        await control.send(serializeMessage(reply, signer));
      } else {
        post({ kind: "request", msg });
        if (msg.header.msg_type === "shutdown_request") {
          setTimeout(() => {
            if (mainClosing) return;
            log("shutdown_request: the main thread is busy; interrupting the running cell");
            interruptRunningCell();
          }, SHUTDOWN_INTERRUPT_AFTER_MS);
        }
      }
    }
  } catch (e) {
    if (!control.closed) log(`control channel stopped: ${(e as Error).message}`);
  }
}

port.on("message", (m: MainToWorker) => {
  if (m.kind === "send") {
    control.send(m.frames.map((f) => Buffer.from(f))).catch((e) => log(`control: send failed: ${(e as Error).message}`));
  } else if (m.kind === "closing") {
    mainClosing = true;
  } else if (m.kind === "close") {
    control.close();
    hb.close();
    port.close();
  }
});

Promise.all([control.bind(data.controlEndpoint), hb.bind(data.hbEndpoint)]).then(
  () => {
    post({ kind: "ready" });
    void echoHeartbeats();
    void serveControl();
  },
  (e: Error) => post({ kind: "failed", message: `cannot bind control/heartbeat: ${e.message}` }),
);
