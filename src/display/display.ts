// The preloaded `display(obj, {displayId, update})` and `clearOutput({wait})`: they write to
// the output of the cell that is running (or that started the timer/promise calling them).
import { currentCellOutput } from "./cell-output";
import { toMimeBundle } from "./mime";

export interface DisplayOptions {
  /** Names this output so a later `display(x, {displayId, update: true})` replaces it. */
  displayId?: string;
  /** Replace the output named by displayId instead of adding a new one. */
  update?: boolean;
  /**
   * With update: this is the output's final state, sent as the full bundle (a figure's plotly
   * JSON included, for the saved notebook and VS Code); earlier updates may carry less.
   */
  final?: boolean;
  /** Extra metadata for the display_data message. */
  metadata?: Record<string, unknown>;
}

export function display(value: unknown, options: DisplayOptions = {}): void {
  const output = currentCellOutput();
  if (!output) throw new Error("display() needs a running notebook cell: call it from a cell, or from code a cell started.");
  if (options.update && !options.displayId)
    throw new Error("display(value, {update: true}) needs a displayId naming the output to replace.");
  const rich = toMimeBundle(value);
  const data = options.update && !options.final ? (rich.updateData ?? rich.data) : rich.data;
  const metadata = rich.metadata;
  output.display(data, { ...metadata, ...options.metadata }, options.displayId ? { display_id: options.displayId } : {}, !!options.update);
}

export function clearOutput(options: { wait?: boolean } = {}): void {
  currentCellOutput()?.clearOutput(!!options.wait);
}

/** Asks the user for a line of text (Jupyter's stdin channel). */
export function input(prompt = "", options: { password?: boolean } = {}): Promise<string> {
  const output = currentCellOutput();
  if (!output) return Promise.reject(new Error("input() needs a running notebook cell."));
  return output.requestInput(prompt, !!options.password);
}
