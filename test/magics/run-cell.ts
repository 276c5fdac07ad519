// Drives the engine cell by cell for the magic tests: what a cell printed, displayed
// (text and HTML) and raised.
import assert from "node:assert/strict";
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

export interface CellRunner {
  run(code: string): Promise<CellOutput>;
  /** Runs a cell that must succeed (the assertion names the cell and its error) and returns its stdout. */
  ok(code: string): Promise<string>;
  engine: LabEngine;
}

export function cellRunner(): CellRunner {
  const engine = createToolkitEngine({ log: () => {} });
  const runner: CellRunner = {
    engine,
    async ok(code: string): Promise<string> {
      const r = await runner.run(code);
      assert.equal(r.status, "ok", `${code.slice(0, 80)}: ${r.ename}: ${r.evalue}`);
      return r.text;
    },
    async run(code: string): Promise<CellOutput> {
      const sink = new RecordingSink();
      const reply = (await engine.execute(code, sink)) as { status: string; ename?: string; evalue?: string };
      const displays = sink.events.filter((e) => e.type === "display_data").map((e) => e.data as Record<string, string>);
      return {
        sink,
        status: reply.status,
        ename: reply.ename,
        evalue: reply.evalue,
        text: sink.text(),
        displayText: displays.map((d) => d["text/plain"] ?? "").join("\n"),
        html: displays.map((d) => d["text/html"] ?? "").join("\n"),
      };
    },
  };
  return runner;
}
