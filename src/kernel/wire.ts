// The Jupyter wire format: [identities..., "<IDS|MSG>", signature, header, parent_header,
// metadata, content, buffers...], signed with HMAC over the four JSON frames.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Header, Message } from "./messages";

export const DELIMITER = "<IDS|MSG>";
const DELIMITER_BYTES = Buffer.from(DELIMITER);

/** Signs and verifies messages with the connection file's key; an empty key disables signing. */
export class Signer {
  private readonly algorithm: string;

  constructor(
    private readonly key: string,
    scheme = "hmac-sha256",
  ) {
    // "hmac-sha256" -> "sha256"
    this.algorithm = scheme.replace(/^hmac-/, "");
  }

  sign(frames: Buffer[]): string {
    if (!this.key) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  verify(signature: string, frames: Buffer[]): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(frames));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export class WireError extends Error {
  override name = "WireError";
}

/** Parses and verifies one multipart message. Throws WireError for a bad signature or a malformed message. */
export function parseMessage(frames: Buffer[], signer: Signer): Message {
  const split = frames.findIndex((f) => f.equals(DELIMITER_BYTES));
  if (split < 0) throw new WireError("no <IDS|MSG> delimiter");
  if (frames.length < split + 6) throw new WireError(`too few frames (${frames.length - split - 1} after the delimiter)`);
  const signature = frames[split + 1].toString("ascii");
  const signed = frames.slice(split + 2, split + 6);
  if (!signer.verify(signature, signed)) throw new WireError("bad signature");
  const json = (frame: Buffer, what: string) => {
    try {
      const value = JSON.parse(frame.toString("utf8"));
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
      return value;
    } catch (e) {
      throw new WireError(`${what} is not valid JSON: ${(e as Error).message}`);
    }
  };
  const header = json(signed[0], "header") as Header;
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("header lacks msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, split),
    header,
    parent_header: json(signed[1], "parent_header"),
    metadata: json(signed[2], "metadata"),
    content: json(signed[3], "content"),
    buffers: frames.slice(split + 6),
  };
}

/** Serializes and signs a message for a socket. */
export function serializeMessage(msg: Message<unknown>, signer: Signer): Buffer[] {
  const signed = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
  return [...msg.identities, DELIMITER_BYTES, Buffer.from(signer.sign(signed), "ascii"), ...signed, ...msg.buffers];
}
