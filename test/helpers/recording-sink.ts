// An OutputSink that records what a cell produced, for engine-level tests.
import type { MimeBundle, OutputSink } from "../../src/engine/types";

export interface Recorded {
  type: string;
  [k: string]: unknown;
}

export class RecordingSink implements OutputSink {
  readonly events: Recorded[] = [];
  constructor(private readonly inputs: string[] = []) {}
  stream(name: "stdout" | "stderr", text: string) {
    this.events.push({ type: "stream", name, text });
  }
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean) {
    this.events.push({ type: update ? "update_display_data" : "display_data", data, metadata, transient });
  }
  executeResult(executionCount: number, data: MimeBundle) {
    this.events.push({ type: "execute_result", executionCount, data });
  }
  error(ename: string, evalue: string, traceback: string[]) {
    this.events.push({ type: "error", ename, evalue, traceback });
  }
  clearOutput(wait: boolean) {
    this.events.push({ type: "clear_output", wait });
  }
  requestInput(prompt: string) {
    this.events.push({ type: "input_request", prompt });
    const v = this.inputs.shift();
    return v === undefined ? Promise.reject(new Error("no input")) : Promise.resolve(v);
  }
  text(name: "stdout" | "stderr" = "stdout"): string {
    return this.events
      .filter((e) => e.type === "stream" && e.name === name)
      .map((e) => e.text)
      .join("");
  }
  result(): string | undefined {
    const r = this.events.find((e) => e.type === "execute_result");
    return r ? String((r.data as MimeBundle)["text/plain"]) : undefined;
  }
}
