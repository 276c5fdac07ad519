// `tfjs-lab install`: writes a kernelspec whose argv points at this installation and hands
// it to `jupyter kernelspec install` (so --user, --sys-prefix and --prefix mean what Jupyter
// users know).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { findJupyter, JUPYTER_MISSING } from "./jupyter";
import { KERNEL_ROOT } from "../engine/compiler";
import { copyPlotlyLibrary } from "../display/reprs/plotly-library";

export function writeKernelSpec(dir: string): string {
  const template = path.join(KERNEL_ROOT, "kernel");
  fs.mkdirSync(dir, { recursive: true });
  // The kernelspec is kernel.json and the logos; kernel/conda-install/ is for environment.yml.
  for (const f of fs.readdirSync(template, { withFileTypes: true })) {
    if (f.isFile()) fs.copyFileSync(path.join(template, f.name), path.join(dir, f.name));
  }
  const spec = JSON.parse(fs.readFileSync(path.join(template, "kernel.json"), "utf8"));
  spec.argv = [process.execPath, path.join(KERNEL_ROOT, "dist", "src", "cli", "main.js"), "kernel", "{connection_file}"];
  // Figures' HTML loads plotly.js from {baseUrl}kernelspecs/NAME/ (src/display/reprs/plotly-library.ts).
  spec.env = { ...spec.env, TFJS_LAB_KERNELSPEC: path.basename(dir) };
  copyPlotlyLibrary(dir);
  fs.writeFileSync(path.join(dir, "kernel.json"), `${JSON.stringify(spec, null, 2)}\n`);
  return dir;
}

export async function installCommand(args: string[]): Promise<number> {
  const passThrough: string[] = [];
  let name = "tfjs-lab";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--user" || a === "--sys-prefix") passThrough.push(a);
    else if (a === "--prefix") {
      if (!args[i + 1]) {
        process.stderr.write("tfjs-lab install: --prefix needs a directory\n");
        return 2;
      }
      passThrough.push("--prefix", path.resolve(args[++i]));
    } else if (a === "--name") name = args[++i] ?? name;
    else {
      process.stderr.write(`tfjs-lab install: unknown option ${a}\nUsage: tfjs-lab install [--user|--sys-prefix|--prefix P] [--name N]\n`);
      return 2;
    }
  }
  const jupyter = findJupyter();
  if (!jupyter) {
    process.stderr.write(`${JUPYTER_MISSING}\n`);
    return 1;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-spec-"));
  const dir = writeKernelSpec(path.join(tmp, name));
  const r = spawnSync(jupyter.cmd, [...jupyter.args, "kernelspec", "install", "--replace", "--name", name, ...passThrough, dir], {
    encoding: "utf8",
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  if (r.status !== 0) {
    process.stderr.write(`tfjs-lab install: 'jupyter kernelspec install' failed (exit ${r.status}). Without root, try --user.\n`);
    return 1;
  }
  process.stdout.write(`Installed kernel "${name}" (TypeScript (tfjs-lab)). Start JupyterLab and pick it from the launcher.\n`);
  return 0;
}
