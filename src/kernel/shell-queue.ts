// The shell channel as a strict FIFO: one request at a time, in arrival order. After a cell
// fails with stop_on_error, every request already waiting at that moment (in the socket's
// buffer too) is marked so its execute_request is answered "aborted"; requests that arrive
// later run normally. No timing window: "already waiting" is what a non-blocking drain sees.
import type * as zmq from "zeromq";

export interface QueuedRequest {
  frames: Buffer[];
  /** Set when a stop_on_error failure happened while this request was waiting. */
  abort: boolean;
}

export class ShellQueue {
  private readonly waiting: QueuedRequest[] = [];

  constructor(private readonly socket: zmq.Router) {}

  /** The next request, or null once the socket is closed. */
  async next(): Promise<QueuedRequest | null> {
    const queued = this.waiting.shift();
    if (queued) return queued;
    try {
      return { frames: await this.socket.receive(), abort: false };
    } catch (e) {
      if (this.socket.closed) return null;
      throw e;
    }
  }

  /** Moves everything the socket holds now into the queue and marks all of it for abort. */
  async abortWaiting(): Promise<number> {
    await this.drainSocket();
    for (const request of this.waiting) request.abort = true;
    return this.waiting.length;
  }

  private async drainSocket(): Promise<void> {
    if (this.socket.closed) return;
    const timeout = this.socket.receiveTimeout;
    // A zero receive timeout makes receive() answer at once: a message, or EAGAIN when empty.
    this.socket.receiveTimeout = 0;
    try {
      for (;;) this.waiting.push({ frames: await this.socket.receive(), abort: false });
    } catch (e) {
      if ((e as { code?: string }).code !== "EAGAIN") throw e;
    } finally {
      this.socket.receiveTimeout = timeout;
    }
  }
}
