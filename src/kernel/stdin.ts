// input_request / input_reply on the stdin channel: the kernel asks the front end that sent
// the running execute_request for a line of input.
import type { MainChannels } from "./channels";
import type { Message } from "./messages";
import type { Session } from "./session";
import { type Signer, parseMessage } from "./wire";

interface PendingInput {
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

export class StdinChannel {
  private pending: PendingInput | null = null;
  /** Input requests one at a time: a second waits for the first to be answered. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly channels: MainChannels,
    private readonly session: Session,
    private readonly signer: Signer,
    private readonly log: (line: string) => void,
  ) {}

  /** Reads input_reply messages until the socket closes. */
  async serve(): Promise<void> {
    const socket = this.channels.stdin;
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = parseMessage(frames, this.signer);
        } catch (e) {
          this.log(`stdin: dropped a message: ${(e as Error).message}`);
          continue;
        }
        if (msg.header.msg_type !== "input_reply") {
          this.log(`stdin: ignored unexpected ${msg.header.msg_type}`);
          continue;
        }
        const pending = this.pending;
        this.pending = null;
        if (pending) pending.resolve(String((msg.content as { value?: unknown }).value ?? ""));
        else this.log("stdin: input_reply with no input request waiting; ignored");
      }
    } catch (e) {
      if (!socket.closed) this.log(`stdin channel stopped: ${(e as Error).message}`);
    }
    this.pending?.reject(new Error("The kernel is shutting down; no input can be read."));
    this.pending = null;
  }

  /** Sends input_request to the client that sent `parent` and resolves with its answer. */
  request(parent: Message, prompt: string, password: boolean): Promise<string> {
    const answer = this.turn.then(
      () =>
        new Promise<string>((resolve, reject) => {
          this.pending = { resolve, reject };
          const msg = this.session.message("input_request", { prompt, password }, parent, { identities: parent.identities });
          this.channels.send("stdin", msg);
        }),
    );
    this.turn = answer.catch(() => undefined);
    return answer;
  }

  /** Gives up on a waiting input request (interrupt): the cell's requestInput rejects. */
  cancel(reason: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(reason);
  }
}
