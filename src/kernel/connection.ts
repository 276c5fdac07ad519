// Reads the connection file Jupyter writes for a kernel: transport, ports and signing key.
import { readFileSync } from "node:fs";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export type ChannelName = "shell" | "iopub" | "stdin" | "control" | "hb";

export function readConnectionFile(file: string): ConnectionInfo {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`Cannot read the Jupyter connection file ${file}: ${(e as Error).message}`);
  }
  return parseConnectionInfo(raw, file);
}

export function parseConnectionInfo(raw: Record<string, unknown>, source = "connection info"): ConnectionInfo {
  const transport = (raw.transport ?? "tcp") as string;
  if (transport !== "tcp" && transport !== "ipc") throw new Error(`${source}: unsupported transport "${transport}"`);
  const port = (name: ChannelName): number => {
    const value = raw[`${name}_port`];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new Error(`${source}: "${name}_port" must be a port number, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const scheme = (raw.signature_scheme ?? "hmac-sha256") as string;
  if (!/^hmac-/.test(scheme)) throw new Error(`${source}: unsupported signature_scheme "${scheme}"`);
  return {
    transport,
    ip: typeof raw.ip === "string" ? raw.ip : "127.0.0.1",
    shell_port: port("shell"),
    iopub_port: port("iopub"),
    stdin_port: port("stdin"),
    control_port: port("control"),
    hb_port: port("hb"),
    key: typeof raw.key === "string" ? raw.key : "",
    signature_scheme: scheme,
  };
}

/** The ZeroMQ endpoint a channel binds to; ipc endpoints are "<ip>-<port>" files, as jupyter_client names them. */
export function endpoint(info: ConnectionInfo, channel: ChannelName): string {
  const port = info[`${channel}_port` as const];
  return info.transport === "tcp" ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
