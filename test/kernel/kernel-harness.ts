// Shared by the kernel tests: how to launch the kernel, a kernelspec in a temporary
// JUPYTER_PATH, and running Python (Debian's jupyter_client) against it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const PYTHON = "/usr/bin/python3";
export const KERNEL_NAME = "tfjs-lab-test";

/** The kernel command: the CLI (`tfjs-lab kernel`) once it is built, else the test launcher. */
export function kernelArgv(): string[] {
  const cli = path.join(REPO_ROOT, "dist", "src", "cli", "main.js");
  if (existsSync(cli)) return [process.execPath, cli, "kernel", "{connection_file}"];
  return [process.execPath, path.join(REPO_ROOT, "dist", "test", "kernel", "launch-kernel.js"), "{connection_file}"];
}

/** Writes kernels/<KERNEL_NAME>/kernel.json into a fresh directory to use as JUPYTER_PATH. */
export function makeJupyterPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-jupyter-"));
  const specDir = path.join(dir, "kernels", KERNEL_NAME);
  mkdirSync(specDir, { recursive: true });
  const spec = { argv: kernelArgv(), display_name: "TypeScript (tfjs-lab, test)", language: "typescript", interrupt_mode: "message" };
  writeFileSync(path.join(specDir, "kernel.json"), JSON.stringify(spec, null, 2));
  return dir;
}

/** Why the Python side cannot run here, or null when it can. */
export function pythonJupyterMissing(modules = ["jupyter_client", "zmq"]): string | null {
  const r = spawnSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found`;
  return r.status === 0
    ? null
    : `${PYTHON} lacks ${modules.join(", ")} (Debian: python3-jupyter-client python3-zmq python3-jupyter-kernel-test)`;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runPython(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd = REPO_ROOT): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
