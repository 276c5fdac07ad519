// Finding Jupyter: the `jupyter` command on PATH, else Debian's /usr/bin/python3 -m jupyter.
import { spawnSync } from "node:child_process";

export interface JupyterCommand {
  cmd: string;
  args: string[];
}

export function findJupyter(): JupyterCommand | undefined {
  // TFJS_LAB_JUPYTER names the one command to use (e.g. a conda env's jupyter).
  const forced = process.env.TFJS_LAB_JUPYTER;
  const candidates: JupyterCommand[] = forced
    ? [{ cmd: forced, args: [] }]
    : [
        { cmd: "jupyter", args: [] },
        { cmd: "/usr/bin/python3", args: ["-m", "jupyter"] },
        { cmd: "python3", args: ["-m", "jupyter"] },
      ];
  for (const c of candidates) {
    const r = spawnSync(c.cmd, [...c.args, "kernelspec", "--version"], { encoding: "utf8" });
    if (r.status === 0) return c;
  }
  return undefined;
}

export const JUPYTER_MISSING = `Jupyter was not found: neither 'jupyter' on PATH nor '/usr/bin/python3 -m jupyter' works${process.env.TFJS_LAB_JUPYTER ? ` (TFJS_LAB_JUPYTER=${process.env.TFJS_LAB_JUPYTER} does not run)` : ""}.
Install it, then run this command again:
  Debian/Ubuntu:  sudo apt-get install jupyter-client jupyter-notebook
  conda:          conda env create -f environment.yml   (JupyterLab, Node 20 and this kernel)
  pip:            python3 -m pip install jupyterlab`;
