// JupyterLab 4 for the tests: the page test/lab/lab-bundle.ts builds, served by Debian's
// jupyterlab_server on Debian's jupyter_server (test/lab/lab-server.py), in the throw-away
// Jupyter home with only our kernelspec that test/browser/jupyter-server.ts sets up.
import * as path from "node:path";
import { KERNEL_ROOT } from "../../src/engine/compiler";
import { startJupyterServer, type JupyterServer } from "../browser/jupyter-server";
import { ensureLabBundle, type LabBundle } from "./lab-bundle";

const LAB_SERVER_PY = path.join(KERNEL_ROOT, "test", "lab", "lab-server.py");

export interface LabServer extends JupyterServer {
  bundle: LabBundle;
  /** The Lab page with a notebook open, e.g. labUrl("notebooks/00-tour.ipynb"); `reset`
   *  starts from an empty workspace, so tabs of earlier tests are not reopened. */
  labUrl(notebookPath?: string): string;
}

export async function startLabServer(opts: { log?: (line: string) => void } = {}): Promise<LabServer> {
  const bundle = await ensureLabBundle({ log: opts.log });
  const server = await startJupyterServer({
    env: {
      TFJS_LAB_LAB_BUNDLE: bundle.dir,
      // The page shows the version of the JupyterLab it was built from.
      TFJS_LAB_LAB_VERSION: require("@jupyterlab/application/package.json").version,
    },
    command: ({ port, token, notebookDir }) => [
      LAB_SERVER_PY,
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${notebookDir}`,
      "--ServerApp.open_browser=False",
    ],
  });
  return {
    ...server,
    bundle,
    labUrl: (notebookPath) =>
      `${server.url}/lab${notebookPath ? `/tree/${notebookPath.split("/").map(encodeURIComponent).join("/")}` : ""}?reset&token=${server.token}`,
  };
}
