// The contract between the execution engine and its front ends (the ZeroMQ kernel and the
// in-process notebook runner). Content shapes follow the Jupyter messaging spec 5.3 so a
// front end can put them in a message without reshaping.

import type { MimeBundle } from "../display/mime";
export type { MimeBundle };

/** Where a cell's outputs go. One sink per request; the engine never touches sockets. */
export interface OutputSink {
  stream(name: "stdout" | "stderr", text: string): void;
  /** display_data (update=false) or update_display_data (update=true). */
  display(data: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void;
  executeResult(executionCount: number, data: MimeBundle, metadata: Record<string, unknown>): void;
  error(ename: string, evalue: string, traceback: string[]): void;
  clearOutput(wait: boolean): void;
  /** Asks the front end for a line of input (stdin channel). Rejects when the front end cannot answer. */
  requestInput(prompt: string, password: boolean): Promise<string>;
}

export interface ExecuteOptions {
  silent?: boolean;
  storeHistory?: boolean;
  allowStdin?: boolean;
  userExpressions?: Record<string, string>;
}

export type ExecuteReplyContent =
  | { status: "ok"; execution_count: number; payload: unknown[]; user_expressions: Record<string, unknown> }
  | { status: "error"; execution_count: number; ename: string; evalue: string; traceback: string[] }
  | { status: "aborted"; execution_count: number };

export interface CompleteReplyContent {
  status: "ok";
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

export interface InspectReplyContent {
  status: "ok";
  found: boolean;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface IsCompleteReplyContent {
  status: "complete" | "incomplete" | "invalid" | "unknown";
  indent?: string;
}

export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  output?: string;
}

export interface HistoryQuery {
  hist_access_type: "tail" | "range" | "search";
  output?: boolean;
  raw?: boolean;
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** The execution engine: runs cells, independent of any transport. */
export interface Engine {
  /** Runs one cell; every output goes to `sink`. Never throws for user errors. */
  execute(code: string, sink: OutputSink, options?: ExecuteOptions): Promise<ExecuteReplyContent>;
  complete(code: string, cursorPos: number): CompleteReplyContent;
  inspect(code: string, cursorPos: number, detailLevel: number): InspectReplyContent;
  isComplete(code: string): IsCompleteReplyContent;
  history(query: HistoryQuery): HistoryEntry[];
  /** Stops the running cell: aborts its AbortSignal (async work). Blocking code is stopped by SIGINT. */
  interrupt(): void;
  /** The execution counter after the last counted cell. */
  readonly executionCount: number;
  shutdown(): Promise<void>;
}
