// Debian's classic Jupyter Notebook server (6.4) on loopback, in a throw-away Jupyter home
// that holds only our kernelspec, with a random token. Stopping it shuts its kernels down
// through the REST API first, then ends the server's own process group.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { writeKernelSpec } from "../../src/cli/install-command";

export const KERNEL_NAME = "tfjs-lab";
const PYTHON = "/usr/bin/python3";

export interface JupyterServer {
  url: string;
  token: string;
  notebookDir: string;
  /** The server's stdout and stderr so far (shown when a test fails). */
  log(): string;
  /** Shuts every running kernel down (between notebooks, so they do not pile up). */
  shutdownKernels(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Direct children of `pid` (Linux /proc). Jupyter starts kernels in their own session, so
 *  ending the server's process group does not reach them. */
function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The fields after the command name (which may hold spaces) start with state, ppid.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return found;
}

async function api(url: string, token: string, pathname: string, method = "GET"): Promise<Response> {
  return fetch(`${url}${pathname}`, { method, headers: { Authorization: `token ${token}` } });
}

/**
 * Makes a server's root mirror the repository: notebooks/ is a copy (running cells must not
 * rewrite the committed files), everything else a link, so paths the notebooks use
 * relative to their directory resolve as they do under nbconvert.
 */
export function mirrorRepository(root: string, repository: string): void {
  for (const entry of fs.readdirSync(repository)) {
    if ([".git", "notebooks", "test-artifacts", "out"].includes(entry)) continue;
    fs.symlinkSync(path.join(repository, entry), path.join(root, entry));
  }
  const notebooks = path.join(repository, "notebooks");
  if (fs.existsSync(notebooks)) fs.cpSync(notebooks, path.join(root, "notebooks"), { recursive: true });
}

export interface ServerOptions {
  startTimeoutMs?: number;
  /** The server's command line after the python interpreter; by default the classic
   *  Notebook's (test/lab starts a JupyterLab page on jupyter_server with it). */
  command?: (o: { port: number; token: string; notebookDir: string }) => string[];
  /** Added to the server's environment. */
  env?: Record<string, string>;
}

export async function startJupyterServer(opts: ServerOptions = {}): Promise<JupyterServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-browser-"));
  const notebookDir = path.join(home, "root");
  fs.mkdirSync(notebookDir);
  writeKernelSpec(path.join(home, "jupyter-path", "kernels", KERNEL_NAME));
  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(home, "jupyter-path"),
    // Keep the user's own Jupyter config, data and runtime files out of it, and ours out of theirs.
    JUPYTER_CONFIG_DIR: path.join(home, "config"),
    JUPYTER_DATA_DIR: path.join(home, "data"),
    JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
    IPYTHONDIR: path.join(home, "ipython"),
    HOME: home,
    ...opts.env,
  };
  // The committed notebooks are executed without plotly HTML; in the browser we want what users get.
  const command = opts.command?.({ port, token, notebookDir }) ?? [
    "-m",
    "notebook",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${notebookDir}`,
  ];
  // CI containers run as root; the server refuses that unless told.
  if (process.getuid?.() === 0) command.push("--allow-root");
  const child: ChildProcess = spawn(PYTHON, command, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  let exited = false;
  child.once("exit", () => (exited = true));

  let stopped = false;
  const killGroup = (signal: NodeJS.Signals) => {
    if (!child.pid || exited) return;
    for (const kernel of childPids(child.pid)) {
      try {
        process.kill(kernel, signal);
      } catch {
        /* already gone */
      }
    }
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  // A test run that dies without reaching stop() must not leave a server or kernels behind.
  const onExit = () => killGroup("SIGKILL");
  const onSignal = (signal: NodeJS.Signals) => {
    killGroup("SIGKILL");
    // Nobody else (playwright also listens) handles it: end as the signal would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const server: JupyterServer = {
    url,
    token,
    notebookDir,
    log: () => output,
    async shutdownKernels() {
      const kernels = (await (await api(url, token, "/api/kernels")).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => api(url, token, `/api/kernels/${k.id}`, "DELETE")));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const kernels = child.pid && !exited ? childPids(child.pid) : [];
      try {
        await server.shutdownKernels();
      } catch {
        /* server already down: its process group still gets killed below */
      }
      killGroup("SIGTERM");
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      killGroup("SIGKILL");
      for (const pid of kernels) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* ended with the server, as it should */
        }
      }
      process.removeListener("exit", onExit);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      if ((await api(url, token, "/api/status")).ok) return server;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error(`Jupyter server did not start at ${url}${exited ? " (it exited)" : ""}:\n${output}`);
}
