// The kernel's session: one id for all its messages, and headers built the way the spec asks.
import { randomUUID } from "node:crypto";
import { PROTOCOL_VERSION, type Header, type Message } from "./messages";

export class Session {
  constructor(
    readonly id: string = randomUUID(),
    readonly username = "kernel",
  ) {}

  header(msgType: string): Header {
    return {
      msg_id: randomUUID(),
      session: this.id,
      username: this.username,
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    };
  }

  /** A new message caused by `parent` (a reply, or an output of that request). */
  message<C>(
    msgType: string,
    content: C,
    parent?: Message<unknown> | null,
    opts: { identities?: Buffer[]; metadata?: Record<string, unknown> } = {},
  ): Message<C> {
    return {
      identities: opts.identities ?? [],
      header: this.header(msgType),
      parent_header: parent ? parent.header : {},
      metadata: opts.metadata ?? {},
      content,
      buffers: [],
    };
  }
}

/** The reply type for a request type: "execute_request" -> "execute_reply". */
export function replyType(requestType: string): string {
  return requestType.replace(/_request$/, "_reply");
}
