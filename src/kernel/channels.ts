// The main thread's sockets: shell (ROUTER) and stdin (ROUTER). Control and heartbeat live in
// the control worker (control-worker.ts) so they answer while a cell blocks; iopub lives in
// the iopub worker (iopub-worker.ts) so output leaves, in order, while a cell blocks.
import * as zmq from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection";
import type { Message } from "./messages";
import { type Signer, serializeMessage } from "./wire";

export class MainChannels {
  // sendTimeout 0: sends never wait, so a reply leaves at once even right before a cell
  // blocks the event loop.
  readonly shell = new zmq.Router({ sendTimeout: 0, linger: 1000 });
  readonly stdin = new zmq.Router({ sendTimeout: 0, linger: 0 });
  private closed = false;

  constructor(
    private readonly signer: Signer,
    private readonly log: (line: string) => void,
  ) {}

  async bind(info: ConnectionInfo): Promise<void> {
    await Promise.all([this.shell.bind(endpoint(info, "shell")), this.stdin.bind(endpoint(info, "stdin"))]);
  }

  send(channel: "shell" | "stdin", msg: Message<unknown>): void {
    if (this.closed) return;
    const frames = serializeMessage(msg, this.signer);
    this[channel].send(frames).catch((e: Error) => this.log(`${channel}: could not send ${msg.header.msg_type}: ${e.message}`));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shell.close();
    this.stdin.close();
  }
}
