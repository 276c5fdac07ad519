// The main thread's sockets: shell (ROUTER), stdin (ROUTER) and iopub (PUB). Control and
// heartbeat live in the control worker (control-worker.ts) so they answer while a cell blocks.
import * as zmq from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection";
import type { Message } from "./messages";
import { Signer, serializeMessage } from "./wire";

export class MainChannels {
  // sendTimeout 0: sends never wait (PUB drops at its high-water mark anyway), so outputs
  // leave at once, in order, even right before a cell blocks the event loop.
  readonly shell = new zmq.Router({ sendTimeout: 0, linger: 1000 });
  readonly stdin = new zmq.Router({ sendTimeout: 0, linger: 0 });
  readonly iopub = new zmq.Publisher({ sendTimeout: 0, linger: 1000 });
  private closed = false;

  constructor(private readonly signer: Signer, private readonly log: (line: string) => void) {}

  async bind(info: ConnectionInfo): Promise<void> {
    await Promise.all([
      this.shell.bind(endpoint(info, "shell")),
      this.stdin.bind(endpoint(info, "stdin")),
      this.iopub.bind(endpoint(info, "iopub")),
    ]);
  }

  send(channel: "shell" | "stdin" | "iopub", msg: Message<unknown>): void {
    if (this.closed) return;
    const frames = serializeMessage(msg, this.signer);
    this[channel].send(frames).catch((e: Error) => this.log(`${channel}: could not send ${msg.header.msg_type}: ${e.message}`));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shell.close();
    this.stdin.close();
    this.iopub.close();
  }
}
