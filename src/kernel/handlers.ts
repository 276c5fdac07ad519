// The handler table: one function per request type, as ipykernel's kernelbase.py has
// shell_handlers / control_handlers. The dispatcher (kernel.ts) wraps each in busy/idle.
import type { Engine, ExecuteReplyContent, HistoryEntry, HistoryQuery, OutputSink } from "../engine/types";
import { kernelInfo } from "./kernel-info";
import type { Message, RequestChannel } from "./messages";

/** What a handler may do while answering one request. */
export interface RequestContext {
  readonly engine: Engine;
  readonly request: Message;
  readonly channel: RequestChannel;
  /** Sends `<type>_reply` back on the channel the request came in on. */
  reply(content: object, metadata?: Record<string, unknown>): void;
  /** Publishes on iopub with this request as parent. */
  publish(msgType: string, content: Record<string, unknown>): void;
  /** The OutputSink that publishes this request's outputs, now and after the reply. */
  sink(opts: { allowStdin: boolean; silent: boolean }): OutputSink;
  /** Marks every execute_request waiting on shell now as aborted (stop_on_error). */
  abortWaitingRequests(): Promise<void>;
  /** Closes the kernel after this request. */
  shutdown(restart: boolean): void;
  log(line: string): void;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

interface ExecuteRequest {
  code?: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
}

async function executeRequest(ctx: RequestContext): Promise<void> {
  const c = ctx.request.content as ExecuteRequest;
  const code = typeof c.code === "string" ? c.code : "";
  const silent = c.silent === true;
  const storeHistory = silent ? false : c.store_history !== false;
  const allowStdin = c.allow_stdin === true;
  const stopOnError = c.stop_on_error !== false;
  if (!silent) ctx.publish("execute_input", { code, execution_count: ctx.engine.executionCount + (storeHistory ? 1 : 0) });
  const started = new Date().toISOString();
  const sink = ctx.sink({ allowStdin, silent });
  let reply: ExecuteReplyContent;
  try {
    reply = await ctx.engine.execute(code, sink, { silent, storeHistory, allowStdin, userExpressions: c.user_expressions ?? {} });
  } catch (e) {
    // The engine reports user errors itself; this is the engine failing. Report it the same way.
    const err = e instanceof Error ? e : new Error(String(e));
    const traceback = (err.stack ?? `${err.name}: ${err.message}`).split("\n");
    sink.error(err.name, err.message, traceback);
    reply = { status: "error", execution_count: ctx.engine.executionCount, ename: err.name, evalue: err.message, traceback };
  }
  // Abort what is waiting BEFORE replying: a client that sends its next request on seeing
  // this reply (nbclient does) must not have that request aborted.
  if (reply.status === "error" && stopOnError) await ctx.abortWaitingRequests();
  ctx.reply(reply, { started, status: reply.status });
}

function completeRequest(ctx: RequestContext): void {
  const c = ctx.request.content as { code?: string; cursor_pos?: number };
  const code = c.code ?? "";
  ctx.reply(ctx.engine.complete(code, c.cursor_pos ?? code.length));
}

function inspectRequest(ctx: RequestContext): void {
  const c = ctx.request.content as { code?: string; cursor_pos?: number; detail_level?: number };
  const code = c.code ?? "";
  ctx.reply(ctx.engine.inspect(code, c.cursor_pos ?? code.length, c.detail_level ?? 0));
}

function isCompleteRequest(ctx: RequestContext): void {
  const c = ctx.request.content as { code?: string };
  ctx.reply(ctx.engine.isComplete(c.code ?? ""));
}

/** History entries as the spec's tuples: (session, line, input) or (session, line, (input, output)). */
export function historyTuples(entries: HistoryEntry[], withOutput: boolean): unknown[] {
  return entries.map((e) => (withOutput ? [e.session, e.line, [e.input, e.output ?? null]] : [e.session, e.line, e.input]));
}

function historyRequest(ctx: RequestContext): void {
  const query = ctx.request.content as unknown as HistoryQuery;
  const entries = ctx.engine.history(query);
  ctx.reply({ status: "ok", history: historyTuples(entries, query.output === true) });
}

function kernelInfoRequest(ctx: RequestContext): void {
  ctx.reply(kernelInfo());
}

function commInfoRequest(ctx: RequestContext): void {
  // No comm targets yet: an empty list, in a comm_info_reply (tslab sends the wrong type).
  ctx.reply({ status: "ok", comms: {} });
}

function commOpen(ctx: RequestContext): void {
  // No comm targets are registered: close the comm so the front end does not wait on it.
  const c = ctx.request.content as { comm_id?: string; target_name?: string };
  ctx.log(`comm_open for unknown target "${c.target_name ?? ""}"; closing it`);
  if (c.comm_id) ctx.publish("comm_close", { comm_id: c.comm_id, data: {} });
}

function ignoreComm(ctx: RequestContext): void {
  ctx.log(`${ctx.request.header.msg_type} for a comm this kernel does not have; ignored`);
}

function shutdownRequest(ctx: RequestContext): void {
  const restart = (ctx.request.content as { restart?: unknown }).restart === true;
  const content = { status: "ok", restart };
  ctx.reply(content);
  // Also on iopub, as ipykernel does, so every client learns of it.
  ctx.publish("shutdown_reply", content);
  ctx.shutdown(restart);
}

/** Requests answered on shell, by message type. */
export const SHELL_HANDLERS: Readonly<Record<string, Handler>> = {
  execute_request: executeRequest,
  complete_request: completeRequest,
  inspect_request: inspectRequest,
  is_complete_request: isCompleteRequest,
  history_request: historyRequest,
  kernel_info_request: kernelInfoRequest,
  comm_info_request: commInfoRequest,
  comm_open: commOpen,
  comm_msg: ignoreComm,
  comm_close: ignoreComm,
  shutdown_request: shutdownRequest,
};

/**
 * Requests the main thread answers on control. interrupt_request never gets here: the
 * control worker answers it, because the main thread may be stuck in the cell it must stop.
 */
export const CONTROL_HANDLERS: Readonly<Record<string, Handler>> = {
  kernel_info_request: kernelInfoRequest,
  shutdown_request: shutdownRequest,
};
