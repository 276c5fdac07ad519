// `npm run bench -- gpu`: prepares the GPU run of bench/gpu/train-step-gpu.ts for a machine
// with an NVIDIA GPU, Python and PyTorch but no Node and no network (the project's GPU
// machine). It runs the script here first, on SwiftShader at a tiny size, which is the
// smoke test and also records every module the run loads; then it builds .gpu/ (git-ignored):
// Node (xz), the Vulkan loader and the GL/X11 libraries the NVIDIA Vulkan driver loads (Debian
// packages), the built dist/, the Python side, and only the node_modules files the run
// loaded. It runs the packed copy on SwiftShader again, from a scratch folder, so a missing
// file shows here and not on the GPU machine, and prints the one command to run there.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useSwiftShaderForTests } from "../../src/tfjs/webgpu/swiftshader-for-tests";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const OUT = path.join(ROOT, ".gpu");
/** What the NVIDIA Vulkan driver needs beside the loader, as measured on the project's H100. */
const DEBS = [
  "libvulkan1",
  "libegl1",
  "libglvnd0",
  "libopengl0",
  "libgl1",
  "libglx0",
  "libgles2",
  "libx11-6",
  "libxcb1",
  "libxau6",
  "libxdmcp6",
  "libbsd0",
  "libmd0",
];
/** The device tool's limit on what travels. */
const CARRY_LIMIT = 64 * 2 ** 20;
const SMOKE_ARGS = [
  "--batch",
  "2",
  "--size",
  "32",
  "--warmup",
  "0",
  "--steps",
  "1",
  "--python",
  "/usr/bin/python3",
  "--torch-device",
  "cpu",
];

const UNPACKED = "bash .gpu/unpack.sh && . /tmp/gpu-env.sh && export PATH=/tmp/gpu-node/bin:$PATH && cd .gpu/app && ";

export const GPU_COMMAND = `${UNPACKED}node dist/bench/gpu/train-step-gpu.js --batch 16 --size 640 --out $OUT/gpu-step.json`;

/**
 * The same machine's CPU curve (the 1 to 16 threads, where the cores exist), tfjs-lab's
 * wasm next to the machine's PyTorch on its CPU: a command of its own, so that each stays
 * within one device call's 10 minutes (neither has run there yet).
 */
export const CPU_THREADS_COMMAND = `set -o pipefail && ${UNPACKED}node dist/bench/toolkit/train-threads.js --only yolov5n --rounds 2 --python python3 | tee $OUT/cpu-threads.md`;

/** The smoke runs: the GPU script on SwiftShader, and the thread bench with its child processes. */
const SMOKE_RUNS = [
  ["dist/bench/gpu/train-step-gpu.js", ...SMOKE_ARGS],
  ["dist/bench/toolkit/train-threads.js", "--only", "small", "--threads", "1,2", "--rounds", "1", "--warmup", "0", "--steps", "1"],
];

/** Runs the smoke runs from `appRoot`; returns their output and the modules they (and their children) loaded. */
function smokeRun(appRoot: string, log: (s: string) => void): { table: string; modules: string[] } {
  const trace = path.join(os.tmpdir(), `tfjs-lab-gpu-modules-${process.pid}.txt`);
  fs.rmSync(trace, { force: true });
  const env = { ...process.env, TFJS_LAB_TRACE_MODULES: trace };
  useSwiftShaderForTests(); // sets VK_DRIVER_FILES in this process; the child inherits it
  Object.assign(env, { VK_DRIVER_FILES: process.env.VK_DRIVER_FILES, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES });
  log(`smoke runs on SwiftShader and wasm from ${appRoot} (tiny sizes; minutes on 2 cores)`);
  const tables = SMOKE_RUNS.map(([script, ...args]) => {
    const r = spawnSync(process.execPath, [path.join(appRoot, script), ...args], {
      cwd: appRoot,
      env,
      encoding: "utf8",
      timeout: 1_800_000,
    });
    if (r.status !== 0) throw new Error(`the smoke run of ${script} from ${appRoot} failed:\n${r.stderr}`);
    return r.stdout.trim();
  });
  const modules = [...new Set(fs.readFileSync(trace, "utf8").split("\n").filter(Boolean))];
  fs.rmSync(trace, { force: true });
  return { table: tables.join("\n\n"), modules };
}

/**
 * Big packages of which only the files the run loaded travel (their other bundles and
 * platforms are most of their size); every other package the run touched travels whole,
 * with its dependencies: ES modules that CommonJS code requires are not all listed in
 * require.cache.
 */
const TRACED_ONLY = [/^@tensorflow\//, /^webgpu$/];

/** The package a path inside node_modules belongs to: "sharp", "@img/colour". */
function packageOf(rel: string): string {
  const parts = rel.split(path.sep);
  return parts[0].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** node_modules paths (files, or whole package folders) to carry. */
function moduleFiles(loaded: string[]): string[] {
  const nm = fs.realpathSync(path.join(ROOT, "node_modules"));
  const files = new Set<string>();
  const whole = new Set<string>();
  const traced = (pkg: string) => TRACED_ONLY.some((re) => re.test(pkg));
  const addWhole = (pkg: string) => {
    if (whole.has(pkg) || traced(pkg) || !fs.existsSync(path.join(nm, pkg, "package.json"))) return;
    whole.add(pkg);
    const manifest = JSON.parse(fs.readFileSync(path.join(nm, pkg, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) addWhole(dep);
  };
  const take = (file: string) => {
    const rel = path.relative(nm, file);
    const pkg = packageOf(rel);
    if (!traced(pkg)) {
      addWhole(pkg);
      return;
    }
    files.add(rel);
    for (let dir = path.dirname(file); dir.startsWith(nm + path.sep); dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, "package.json"))) files.add(path.relative(nm, path.join(dir, "package.json")));
    }
  };
  for (const file of loaded.filter((f) => fs.existsSync(f)).map((f) => fs.realpathSync(f))) if (file.startsWith(nm + path.sep)) take(file);
  // Shared libraries a native addon loads from node_modules (sharp's libvips), as ldd resolves them.
  const addons = [
    ...files,
    ...[...whole].flatMap((pkg) =>
      execFileSync("find", [path.join(nm, pkg), "-name", "*.node"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map((f) => path.relative(nm, f)),
    ),
  ].filter((f) => f.endsWith(".node"));
  for (const addon of addons) {
    const ldd = spawnSync("ldd", [path.join(nm, addon)], { encoding: "utf8" }).stdout ?? "";
    for (const m of ldd.matchAll(/=> (\S+)/g)) {
      const lib = fs.existsSync(m[1]) ? fs.realpathSync(m[1]) : "";
      if (lib.startsWith(nm + path.sep)) addWhole(packageOf(path.relative(nm, lib)));
    }
  }
  const wasmDir = path.join(nm, "@tensorflow/tfjs-backend-wasm/dist");
  for (const f of fs.readdirSync(wasmDir)) if (f.endsWith(".wasm")) files.add(path.relative(nm, path.join(wasmDir, f)));
  // The threaded build's glue and worker load in worker threads, which the trace does not see.
  files.add("@tensorflow/tfjs-backend-wasm/wasm-out");
  return [...files, ...whole].sort();
}

function copyInto(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, dereference: true });
}

const UNPACK = `#!/usr/bin/env bash
# Runs on the GPU machine: Node and the Vulkan loader into place, Vulkan pointed at the NVIDIA driver.
set -e; here=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/gpu-node/bin; xz -d -c "$here/node.xz" > /tmp/gpu-node/bin/node; chmod +x /tmp/gpu-node/bin/node
for f in "$here"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
find "$here/app/node_modules" -name '*.xz' -exec xz -d -f {} +
echo "export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json" > /tmp/gpu-env.sh
`;

export async function prepareGpuBench(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<string> {
  const first = smokeRun(ROOT, log);
  fs.rmSync(OUT, { recursive: true, force: true });
  const app = path.join(OUT, "app");
  fs.mkdirSync(path.join(OUT, "debs"), { recursive: true });
  for (const p of ["dist/src", "dist/bench", "package.json", "bench/gpu/train_step_cuda.py", "bench/toolkit/train_step_torch.py"])
    copyInto(path.join(ROOT, p), path.join(app, p));
  const nm = fs.realpathSync(path.join(ROOT, "node_modules"));
  for (const f of moduleFiles(first.modules)) copyInto(path.join(nm, f), path.join(app, "node_modules", f));
  log("compressing Node and Dawn (xz)");
  fs.writeFileSync(path.join(OUT, "node.xz"), execFileSync("xz", ["-T2", "-c", fs.realpathSync(process.execPath)], { maxBuffer: 1 << 30 }));
  const dawn = path.join(app, "node_modules/webgpu/dist/linux-x64/dawn.node");
  if (!fs.existsSync(dawn)) throw new Error(`the smoke run did not load ${dawn}: WebGPU did not come from the npm webgpu package`);
  /** Native binaries over 1 MiB travel compressed; unpack.sh restores them. */
  const bulky = execFileSync(
    "find",
    [path.join(app, "node_modules"), "-type", "f", "(", "-name", "*.node", "-o", "-name", "*.so*", ")", "-size", "+1M"],
    { encoding: "utf8" },
  )
    .split("\n")
    .filter(Boolean);
  log("downloading the Vulkan loader and GL libraries (Debian packages, amd64)");
  const lists = "/tmp/amd64";
  fs.mkdirSync(path.join(lists, "partial"), { recursive: true });
  const apt = ["-oAPT::Architecture=amd64", "-oAPT::Architectures=amd64", `-oDir::State::Lists=${lists}`];
  spawnSync("apt-get", [...apt, "update"], { stdio: "ignore" });
  const dl = spawnSync("apt-get", [...apt, "download", ...DEBS], { cwd: path.join(OUT, "debs"), encoding: "utf8" });
  if (dl.status !== 0) throw new Error(`apt-get download ${DEBS.join(" ")} failed:\n${dl.stderr}`);
  fs.writeFileSync(path.join(OUT, "unpack.sh"), UNPACK, { mode: 0o755 });

  // The packed app, run from a scratch copy: what the GPU machine will load.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-gpu-app-"));
  try {
    fs.cpSync(app, scratch, { recursive: true });
    smokeRun(scratch, log);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  log(`compressing ${bulky.length} native binaries (xz)`);
  execFileSync("xz", ["-T2", "-f", ...bulky]);
  const size = Number(execFileSync("du", ["-sb", OUT], { encoding: "utf8" }).split("\t")[0]);
  if (size > CARRY_LIMIT)
    throw new Error(`.gpu is ${(size / 2 ** 20).toFixed(1)} MiB, over the device tool's ${CARRY_LIMIT / 2 ** 20} MiB`);
  return [
    "### Smoke run here (SwiftShader, batch 2, 32 px; its figures mean nothing for speed)",
    "",
    first.table,
    "",
    `### Package: .gpu/ (${(size / 2 ** 20).toFixed(1)} MiB, git-ignored; the packed copy ran the smoke test too)`,
    "",
    'On the GPU machine (device tool: carry [".gpu"], timeout_s 600), run:',
    "",
    `    ${GPU_COMMAND}`,
    "",
    "It prints the WebGPU vs PyTorch CUDA step time and memory, with ratios, and writes them to $OUT/gpu-step.json.",
    "Then, on the same warm machine, the CPU curve up to its cores (tfjs-lab wasm vs PyTorch CPU at each count):",
    "",
    `    ${CPU_THREADS_COMMAND}`,
  ].join("\n");
}

if (require.main === module) {
  prepareGpuBench().then(
    (s) => {
      process.stdout.write(`${s}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
