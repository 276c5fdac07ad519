// Drives the engine cell by cell for the magic tests: what a cell printed, displayed
// (text and HTML) and raised.
import type { LabEngine } from "../../src/engine";
import { createToolkitEngine } from "../../src/cli/toolkit-engine";
import { RecordingSink } from "../helpers/recording-sink";

export interface CellOutput {
  sink: RecordingSink;
  status: string;
  ename?: string;
  evalue?: string;
  /** stdout of the cell. */
  text: string;
  /** text/plain of every display_data, joined. */
  displayText: string;
  /** text/html of every display_data, joined. */
  html: string;
}

export function cellRunner(): { run(code: string): Promise<CellOutput>; engine: LabEngine } {
  const engine = createToolkitEngine({ log: () => {} });
  return {
    engine,
    async run(code: string): Promise<CellOutput> {
      const sink = new RecordingSink();
      const reply = await engine.execute(code, sink) as { status: string; ename?: string; evalue?: string };
      const displays = sink.events.filter((e) => e.type === "display_data").map((e) => e.data as Record<string, string>);
      return {
        sink, status: reply.status, ename: reply.ename, evalue: reply.evalue, text: sink.text(),
        displayText: displays.map((d) => d["text/plain"] ?? "").join("\n"),
        html: displays.map((d) => d["text/html"] ?? "").join("\n"),
      };
    },
  };
}
