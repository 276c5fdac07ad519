// startKernel: binds the five channels from a connection file and drives an Engine with the
// requests that arrive. Shell requests run strictly one at a time in arrival order; control
// requests are handled as they come (interrupt by the control worker, even mid-cell).
import type { Engine } from "../engine/types";
import { type ChannelName, readConnectionFile, type ConnectionInfo } from "./connection";
import { MainChannels } from "./channels";
import { ControlBridge } from "./control-bridge";
import { failedEngine } from "./engine-failure";
import { CONTROL_HANDLERS, SHELL_HANDLERS, type RequestContext } from "./handlers";
import { IopubPublisher } from "./iopub-publisher";
import { IopubSink } from "./iopub-sink";
import type { Message, RequestChannel } from "./messages";
import { Session, replyType } from "./session";
import { ShellQueue } from "./shell-queue";
import { StdinChannel } from "./stdin";
import { Signer, parseMessage } from "./wire";

export interface KernelOptions {
  /** Where the kernel's log lines go; stderr by default. */
  log?: (line: string) => void;
}

export interface RunningKernel {
  readonly connection: ConnectionInfo;
  /** The kernel's session id (header.session of everything it sends). */
  readonly sessionId: string;
  /** Resolves once the kernel has shut down; `restart` is what the shutdown_request asked. */
  readonly closed: Promise<{ restart: boolean }>;
  /** Shuts the kernel down from inside the process (as a shutdown_request would). */
  shutdown(restart?: boolean): Promise<{ restart: boolean }>;
}

class KeyboardInterrupt extends Error {
  override name = "KeyboardInterrupt";
}

export async function startKernel(
  connectionFile: string,
  createEngine: () => Promise<Engine> | Engine,
  opts: KernelOptions = {},
): Promise<RunningKernel> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[tfjs-lab kernel] ${line}\n`));
  const info = readConnectionFile(connectionFile);
  const signer = new Signer(info.key, info.signature_scheme);
  const session = new Session();
  const channels = new MainChannels(signer, log);

  // The engine loads while the sockets bind; kernel_info is answered without waiting for it.
  let engine: Engine | undefined;
  const engineReady: Promise<Engine> = (async () => {
    try {
      engine = await createEngine();
    } catch (e) {
      log(`engine failed to start: ${(e as Error).stack ?? e}`);
      engine = failedEngine(e);
    }
    return engine;
  })();

  let closing: Promise<{ restart: boolean }> | undefined;
  let resolveClosed!: (v: { restart: boolean }) => void;
  const closed = new Promise<{ restart: boolean }>((resolve) => (resolveClosed = resolve));

  let iopub: IopubPublisher | undefined;
  // Stream text goes to the iopub worker as text (it coalesces it); the rest as signed messages.
  const publish = (msgType: string, content: Record<string, unknown>, parent: Message | null) => {
    if (msgType === "stream" && parent)
      return iopub?.stream(parent.header, content.name as "stdout" | "stderr", String(content.text ?? ""));
    const msg = session.message(msgType, content, parent, { identities: [Buffer.from(`kernel.${session.id}.${msgType}`)] });
    iopub?.send(msg);
  };

  await channels.bind(info);
  try {
    iopub = await IopubPublisher.start(info, session.id, log);
  } catch (e) {
    channels.close();
    throw e;
  }
  const stdin = new StdinChannel(channels, session, signer, log);
  // An interrupt_request is answered by the control worker, which raises the engine's shared
  // interrupt flag (seen by running code at its next check) and tells us here, for a cell
  // that is waiting rather than running. SIGINT comes from the front end (interrupt_mode
  // "signal") or from the worker when running code reached no check in time; a blocking
  // cell is then stopped by vm's breakOnSigint, which takes over SIGINT while it runs.
  const interrupt = () => {
    log("interrupt");
    engine?.interrupt();
    stdin.cancel(new KeyboardInterrupt("Interrupted while waiting for input"));
  };
  let bridge: ControlBridge;
  try {
    bridge = await ControlBridge.start(info, session.id, (msg) => void dispatch(msg, "control", false), interrupt, log);
  } catch (e) {
    channels.close();
    await iopub.close();
    throw e;
  }
  const shellQueue = new ShellQueue(channels.shell);
  process.on("SIGINT", interrupt);

  async function dispatch(msg: Message, channel: RequestChannel, abort: boolean): Promise<void> {
    const type = msg.header.msg_type;
    const handler = (channel === "shell" ? SHELL_HANDLERS : CONTROL_HANDLERS)[type];
    if (!handler) {
      log(`${channel}: unknown message type "${type}"; ignored`);
      return;
    }
    const reply = (content: object, metadata: Record<string, unknown> = {}) => {
      const out = session.message(replyType(type), content, msg, { identities: msg.identities, metadata });
      if (channel === "shell") channels.send("shell", out);
      else bridge.send(out);
    };
    publish("status", { execution_state: "busy" }, msg);
    try {
      if (abort && type === "execute_request") {
        // stop_on_error: this request was waiting when an earlier cell failed.
        reply({ status: "aborted", execution_count: (await engineReady).executionCount }, { status: "aborted" });
      } else {
        if (type !== "kernel_info_request") await engineReady;
        await handler(contextFor(msg, channel, reply));
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      log(`${channel}: ${type} failed: ${err.stack ?? err.message}`);
      reply({ status: "error", ename: err.name, evalue: err.message, traceback: (err.stack ?? err.message).split("\n") });
    }
    publish("status", { execution_state: "idle" }, msg);
  }

  function contextFor(msg: Message, channel: RequestChannel, reply: RequestContext["reply"]): RequestContext {
    return {
      get engine(): Engine {
        if (!engine) throw new Error("the engine is still starting");
        return engine;
      },
      request: msg,
      channel,
      reply,
      publish: (msgType, content) => publish(msgType, content, msg),
      sink: (o) => new IopubSink({ publish, requestInput: (parent, prompt, password) => stdin.request(parent, prompt, password) }, msg, o),
      abortWaitingRequests: async () => {
        const n = await shellQueue.abortWaiting();
        if (n > 0) log(`stop_on_error: ${n} waiting request(s) will be aborted`);
      },
      shutdown: (restart) => void close(restart),
      log,
    };
  }

  function close(restart: boolean): Promise<{ restart: boolean }> {
    closing ??= (async () => {
      bridge.closing();
      process.off("SIGINT", interrupt);
      try {
        await (await engineReady).shutdown();
      } catch (e) {
        log(`engine shutdown failed: ${(e as Error).message}`);
      }
      await bridge.close();
      await iopub!.close();
      channels.close();
      resolveClosed({ restart });
      return { restart };
    })();
    return closing;
  }

  async function serveShell(): Promise<void> {
    for (;;) {
      let item: Awaited<ReturnType<typeof shellQueue.next>>;
      try {
        item = await shellQueue.next();
      } catch (e) {
        log(`shell channel stopped: ${(e as Error).message}`);
        void close(false);
        return;
      }
      if (!item) return;
      let msg: Message;
      try {
        msg = parseMessage(item.frames, signer);
      } catch (e) {
        // Never executed: a message that fails verification is only logged.
        log(`shell: dropped a message: ${(e as Error).message}`);
        continue;
      }
      await dispatch(msg, "shell", item.abort);
    }
  }

  publish("status", { execution_state: "starting" }, null);
  void stdin.serve();
  void serveShell();
  log(`listening (${channelSummary(info)})`);

  return {
    connection: info,
    sessionId: session.id,
    closed,
    shutdown: (restart = false) => close(restart),
  };
}

function channelSummary(info: ConnectionInfo): string {
  const names: ChannelName[] = ["shell", "iopub", "stdin", "control", "hb"];
  return `${info.transport}://${info.ip} ${names.map((n) => `${n}=${info[`${n}_port` as const]}`).join(" ")}`;
}
