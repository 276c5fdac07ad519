// The command line as a user runs it: install through Jupyter, run notebooks in-process.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CLI = path.join(ROOT, "dist", "src", "cli", "main.js");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-cli-"));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 240_000 });
}

test("install --prefix registers the kernelspec through jupyter kernelspec install", () => {
  const prefix = tmp();
  const r = cli(["install", "--prefix", prefix]);
  assert.equal(r.status, 0, r.stderr);
  const specDir = path.join(prefix, "share", "jupyter", "kernels", "tfjs-lab");
  const spec = JSON.parse(fs.readFileSync(path.join(specDir, "kernel.json"), "utf8"));
  assert.equal(spec.display_name, "TypeScript (tfjs-lab)");
  assert.equal(spec.interrupt_mode, "message");
  assert.deepEqual(spec.argv.slice(1), [CLI, "kernel", "{connection_file}"]);
  for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) assert.ok(fs.existsSync(path.join(specDir, logo)), logo);
  // Figures' HTML loads plotly.js from the kernelspec folder, which Jupyter serves.
  assert.equal(
    fs.statSync(path.join(specDir, "plotly.min.js")).size,
    fs.statSync(require.resolve("plotly.js-dist-min/plotly.min.js")).size,
  );
  assert.equal(spec.env.TFJS_LAB_KERNELSPEC, "tfjs-lab");
  // Jupyter itself finds it.
  const list = spawnSync("/usr/bin/python3", ["-m", "jupyter", "kernelspec", "list", "--json"], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter") },
  });
  assert.ok(JSON.parse(list.stdout).kernelspecs["tfjs-lab"], list.stdout);
  fs.rmSync(prefix, { recursive: true, force: true });
});

test("install says clearly when Jupyter is missing", () => {
  const r = cli(["install", "--user"], { TFJS_LAB_JUPYTER: "/nonexistent/jupyter" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^Jupyter was not found/);
  assert.match(r.stderr, /apt-get install jupyter-client/);
});

test("bad command lines give usage, not stack traces", () => {
  for (const args of [["nosuch"], ["install", "--bogus"], ["run"], ["run", "--out"]]) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /usage|Usage|no notebook/, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("run executes a notebook in-process and writes valid nbformat 4 with outputs", () => {
  const dir = tmp();
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tfjs-lab", display_name: "TypeScript (tfjs-lab)", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "m1", metadata: {}, source: ["# test"] },
      {
        cell_type: "code",
        id: "c1",
        metadata: {},
        source: ["const t = tf.ones([2, 3]);\n", "console.log('printed');\n", "t.shape"],
        outputs: [],
        execution_count: null,
      },
      {
        cell_type: "code",
        id: "c2",
        metadata: { tags: ["raises-exception"] },
        source: ["throw new TypeError('expected')"],
        outputs: [],
        execution_count: null,
      },
      {
        cell_type: "code",
        id: "c3",
        metadata: {},
        source: ["display('a', { displayId: 'x' });\n", "display('b', { displayId: 'x', update: true });\n", "figure([{ y: [1, 2, 3] }])"],
        outputs: [],
        execution_count: null,
      },
    ],
  };
  const file = path.join(dir, "t.ipynb");
  fs.writeFileSync(file, JSON.stringify(nb));
  const out = path.join(dir, "out");
  const r = cli(["run", file, "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const done = JSON.parse(fs.readFileSync(path.join(out, "t.ipynb"), "utf8"));
  const [, c1, c2, c3] = done.cells;
  assert.deepEqual(
    c1.outputs.map((o: any) => o.output_type),
    ["stream", "execute_result"],
  );
  assert.equal(c1.outputs[1].data["text/plain"], "[ 2, 3 ]");
  assert.equal(c1.execution_count, 1);
  assert.equal(c2.outputs[0].ename, "TypeError");
  assert.equal(c3.outputs[0].data["text/plain"], "'b'", "the update replaced the displayed value");
  const plot = c3.outputs[1].data;
  assert.ok(plot["application/vnd.plotly.v1+json"] && plot["image/png"]);
  assert.ok(
    plot["text/html"].includes(plot["image/png"]) && plot["text/html"].length < 60_000,
    "saved figures show their PNG and carry no plotly.js",
  );
  // Jupyter's own validator accepts the file.
  const v = spawnSync(
    "/usr/bin/python3",
    ["-c", "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", path.join(out, "t.ipynb")],
    { encoding: "utf8" },
  );
  assert.equal(v.stdout.trim(), "valid", v.stderr);
  assert.match(r.stdout, /t\.ipynb/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("run: two notebooks do not share state (each runs in a fresh process)", () => {
  const dir = tmp();
  const notebook = (source: string) =>
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: "code", id: "c", metadata: {}, source: [source], outputs: [], execution_count: null }],
    });
  // the first sets a global and a memory budget; the second must see neither
  fs.writeFileSync(path.join(dir, "a.ipynb"), notebook("(globalThis as any).leak = 1; lab.setMemoryBudget(1); 'set'"));
  fs.writeFileSync(
    path.join(dir, "b.ipynb"),
    notebook("[typeof (globalThis as any).leak, tf.tidy(() => tf.ones([1024, 1024]).sum()).dataSync()[0]]"),
  );
  const r = cli(["run", path.join(dir, "a.ipynb"), path.join(dir, "b.ipynb"), "--out", path.join(dir, "out")]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const b = JSON.parse(fs.readFileSync(path.join(dir, "out", "b.ipynb"), "utf8"));
  assert.equal(b.cells[0].outputs[0].data["text/plain"], "[ 'undefined', 1048576 ]");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("npm run reproduce (the README's main job) reproduces every notebook's failure and verifies every fix", { timeout: 900_000 }, (t) => {
  const out = tmp();
  const r = spawnSync(process.execPath, [CLI, "reproduce", "--out", out], { encoding: "utf8", timeout: 900_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const notebooks = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
  for (const nb of notebooks) {
    assert.ok(fs.existsSync(path.join(out, nb)), `${nb} written`);
    const row = r.stdout.split("\n").find((l) => l.startsWith(nb));
    assert.ok(row && !row.includes("NO:"), `${nb}: ${row}`);
  }
  assert.ok(fs.existsSync(path.join(out, "report.html")));
  t.diagnostic(
    r.stdout
      .split("\n")
      .map((l) => l.slice(0, 160))
      .join("\n"),
  );
  fs.rmSync(out, { recursive: true, force: true });
});

test("a kernel whose parent dies exits instead of living on (like ipykernel's parent poller)", async () => {
  const dir = tmp();
  const conn = path.join(dir, "conn.json");
  fs.writeFileSync(
    conn,
    JSON.stringify({
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: 0,
      iopub_port: 0,
      stdin_port: 0,
      control_port: 0,
      hb_port: 0,
      key: "k",
      signature_scheme: "hmac-sha256",
    }),
  );
  // bash starts the kernel in the background, prints its pid and exits: the kernel is orphaned.
  const r = spawnSync("bash", ["-c", `JPY_PARENT_PID=$$ "${process.execPath}" "${CLI}" kernel "${conn}" >/dev/null 2>&1 & echo $!`], {
    encoding: "utf8",
  });
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 0);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  while (alive() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
  const stillAlive = alive();
  if (stillAlive) process.kill(pid, "SIGKILL");
  assert.equal(stillAlive, false, "orphaned kernel exited");
  fs.rmSync(dir, { recursive: true, force: true });
});
