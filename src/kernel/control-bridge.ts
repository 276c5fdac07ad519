// Main-thread side of the control worker: starts it, receives the control requests it
// forwards, and hands it signed replies to send.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { endpoint, type ConnectionInfo } from "./connection";
import type { ControlWorkerData, MainToWorker, WorkerToMain } from "./control-protocol";
import { reviveMessage } from "./control-protocol";
import type { Message } from "./messages";
import { Signer, serializeMessage } from "./wire";
import { processInterruptFlag } from "../engine/interrupt-flag";

export class ControlBridge {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  private constructor(
    worker: Worker,
    private readonly signer: Signer,
  ) {
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
  }

  /** Starts the worker and resolves once control and heartbeat are bound. */
  static async start(
    info: ConnectionInfo,
    sessionId: string,
    onRequest: (msg: Message) => void,
    onInterrupt: () => void,
    log: (line: string) => void,
  ): Promise<ControlBridge> {
    const workerData: ControlWorkerData = {
      controlEndpoint: endpoint(info, "control"),
      hbEndpoint: endpoint(info, "hb"),
      key: info.key,
      signatureScheme: info.signature_scheme,
      sessionId,
      interruptBuffer: processInterruptFlag.buffer,
    };
    const worker = new Worker(path.join(__dirname, "control-worker.js"), { workerData });
    const bridge = new ControlBridge(worker, new Signer(info.key, info.signature_scheme));
    await new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (m: WorkerToMain) => {
        if (m.kind === "ready") resolve();
        else if (m.kind === "failed") reject(new Error(m.message));
        else if (m.kind === "log") log(m.line);
        else if (m.kind === "interrupt") onInterrupt();
        else if (m.kind === "request") onRequest(reviveMessage(m.msg));
      });
    });
    worker.on("error", (e) => log(`control worker failed: ${e.message}`));
    return bridge;
  }

  send(msg: Message<unknown>): void {
    this.post({ kind: "send", frames: serializeMessage(msg, this.signer) });
  }

  /** Tells the worker a shutdown is under way (so it does not interrupt a cell to make room for one). */
  closing(): void {
    this.post({ kind: "closing" });
  }

  /** Closes control and heartbeat (after any replies already handed over) and waits for the worker to end. */
  async close(): Promise<void> {
    this.post({ kind: "close" });
    await this.exited;
  }

  private post(m: MainToWorker): void {
    this.worker.postMessage(m);
  }
}
