// Where display(), clearOutput() and input() write: the output of the cell running now (or
// of the cell that started the timer or promise calling them). Display knows no engine:
// the engine registers how to find that output, as toolkit/interrupt.ts lets it register
// where interrupts come from. With no host (plain Node, no kernel) there is no cell.
import type { MimeBundle } from "./mime";

/** The part of a cell's output sink that the display helpers write to. */
export interface CellOutput {
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void;
  clearOutput(wait: boolean): void;
  requestInput(prompt: string, password: boolean): Promise<string>;
}

export interface CellOutputHost {
  /** The output of the cell running now, if any. */
  current(): CellOutput | undefined;
}

let host: CellOutputHost | undefined;

export function setCellOutputHost(h: CellOutputHost | undefined): void {
  host = h;
}

/** The running cell's output, or undefined outside a notebook cell. */
export function currentCellOutput(): CellOutput | undefined {
  return host?.current();
}
