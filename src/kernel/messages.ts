// Shapes of Jupyter messages (messaging spec 5.3) as this kernel handles them.

export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

/** A message as parsed off the wire (or about to be put on it). */
export interface Message<Content = Record<string, unknown>> {
  /** ZeroMQ routing identities: where a ROUTER socket sends the reply. */
  identities: Buffer[];
  header: Header;
  /** The request this message answers or was caused by; `{}` when none. */
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Content;
  buffers: Buffer[];
}

/** The channel a request came in on; replies go back on the same one. */
export type RequestChannel = "shell" | "control";
