// The OutputSink for one execute_request: every output is published on iopub with that
// request's header as parent_header -- also outputs that arrive after the reply (timers the
// cell started), so they land in the cell that produced them.
import type { MimeBundle, OutputSink } from "../engine/types";
import type { Message } from "./messages";

export interface SinkTarget {
  publish(msgType: string, content: Record<string, unknown>, parent: Message): void;
  requestInput(parent: Message, prompt: string, password: boolean): Promise<string>;
}

export class StdinNotImplementedError extends Error {
  override name = "StdinNotImplementedError";
}

export class IopubSink implements OutputSink {
  constructor(
    private readonly target: SinkTarget,
    private readonly parent: Message,
    private readonly opts: { allowStdin: boolean; silent: boolean },
  ) {}

  stream(name: "stdout" | "stderr", text: string): void {
    if (text) this.target.publish("stream", { name, text }, this.parent);
  }

  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void {
    this.target.publish(update ? "update_display_data" : "display_data", { data, metadata, transient: transient ?? {} }, this.parent);
  }

  executeResult(executionCount: number, data: MimeBundle, metadata: Record<string, unknown>): void {
    // A silent request asks for no results (messaging spec, execute_request.silent).
    if (this.opts.silent) return;
    this.target.publish("execute_result", { execution_count: executionCount, data, metadata }, this.parent);
  }

  error(ename: string, evalue: string, traceback: string[]): void {
    this.target.publish("error", { ename, evalue, traceback }, this.parent);
  }

  clearOutput(wait: boolean): void {
    this.target.publish("clear_output", { wait }, this.parent);
  }

  requestInput(prompt: string, password: boolean): Promise<string> {
    if (!this.opts.allowStdin) {
      return Promise.reject(new StdinNotImplementedError("raw_input was called, but this frontend does not support input requests."));
    }
    return this.target.requestInput(this.parent, prompt, password);
  }
}
