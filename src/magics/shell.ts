// `!command`: runs a shell command with output streamed into the cell; an interrupt stops it.
import { spawn } from "node:child_process";
import type { MagicContext } from "./registry";

export function runShell(command: string, ctx: MagicContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", ["-c", command], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const onAbort = () => {
      try {
        process.kill(-child.pid!, "SIGINT");
      } catch {
        /* already gone */
      }
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d: Buffer) => ctx.sink.stream("stdout", d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => ctx.sink.stream("stderr", d.toString("utf8")));
    child.on("error", (e) => {
      ctx.signal.removeEventListener("abort", onAbort);
      reject(e);
    });
    child.on("close", (code, sig) => {
      ctx.signal.removeEventListener("abort", onAbort);
      if (code && code !== 0) ctx.sink.stream("stderr", `(command exited with status ${code})\n`);
      else if (sig) ctx.sink.stream("stderr", `(command stopped by ${sig})\n`);
      resolve();
    });
  });
}
