// An OutputSink that writes a cell's outputs in nbformat, applying clear_output and
// update_display_data the way nbclient does (an update replaces every output with that id).
import type { MimeBundle, OutputSink } from "../engine/types";
import type { Output } from "./nbformat";

/** Display ids across the whole notebook: an update may target an earlier cell's output. */
export class DisplayRegistry {
  private readonly byId = new Map<string, Output[]>();
  track(id: string, out: Output): void {
    const list = this.byId.get(id) ?? [];
    list.push(out);
    this.byId.set(id, list);
  }
  update(id: string, data: MimeBundle, metadata: Record<string, unknown>): void {
    for (const out of this.byId.get(id) ?? []) {
      out.data = data;
      out.metadata = metadata;
    }
  }
}

export class NotebookSink implements OutputSink {
  readonly outputs: Output[] = [];
  private clearPending = false;

  constructor(
    private readonly displays: DisplayRegistry,
    private readonly transform: (data: MimeBundle) => MimeBundle = (d) => d,
  ) {}

  private push(out: Output): void {
    if (this.clearPending) {
      this.outputs.length = 0;
      this.clearPending = false;
    }
    this.outputs.push(out);
  }

  stream(name: "stdout" | "stderr", text: string): void {
    if (this.clearPending) {
      this.outputs.length = 0;
      this.clearPending = false;
    }
    const last = this.outputs[this.outputs.length - 1];
    if (last && last.output_type === "stream" && last.name === name) last.text = String(last.text) + text;
    else this.push({ output_type: "stream", name, text });
  }
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void {
    const d = this.transform(data);
    if (update) {
      if (transient.display_id) this.displays.update(transient.display_id, d, metadata);
      return;
    }
    const out: Output = { output_type: "display_data", data: d, metadata };
    this.push(out);
    if (transient.display_id) this.displays.track(transient.display_id, out);
  }
  executeResult(executionCount: number, data: MimeBundle, metadata: Record<string, unknown>): void {
    this.push({ output_type: "execute_result", execution_count: executionCount, data: this.transform(data), metadata });
  }
  error(ename: string, evalue: string, traceback: string[]): void {
    this.push({ output_type: "error", ename, evalue, traceback });
  }
  clearOutput(wait: boolean): void {
    if (wait) this.clearPending = true;
    else this.outputs.length = 0;
  }
  requestInput(prompt: string): Promise<string> {
    return Promise.reject(new Error(`input("${prompt}") cannot be answered: notebooks run headless have no stdin.`));
  }
}
