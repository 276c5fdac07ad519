// Every magic through the real kernel: magics_driver.py (jupyter_client) sends each cell as an
// execute_request to one tfjs-lab kernel and records the reply and every iopub output; each
// test checks what a magic displayed, its help (%name?) and its UsageError for bad arguments.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KERNEL_NAME, REPO_ROOT, makeJupyterPath, pythonJupyterMissing, runPython } from "./kernel-harness";

const LINE_MAGICS = ["backend", "env", "gpu", "loss", "lsmagic", "memit", "memory", "shapes", "summary", "time", "timeit", "who", "whos"];
const CELL_MAGICS = ["memit", "time", "timeit", "trace"];

/** Cells in the order the kernel runs them; later cells rely on the variables of earlier ones. */
const CELLS: [key: string, code: string][] = [
  [
    "setup",
    "const logits = tf.randomNormal([32, 10]);\nconst targets = tf.randomUniform([64, 10]);\nconst images = tf.zeros([32, 8, 8, 3]);\nconst label = 'cat';",
  ],
  ["shapes", "%shapes"],
  ["shapes names", "%shapes logits targets"],
  ["who", "%who"],
  ["whos", "%whos"],
  ["whos Tensor", "%whos Tensor"],
  ["lsmagic", "%lsmagic"],
  ["time", "%time [1, 2, 3].length"],
  ["%%time", "%%time\nconst four = 2 + 2;\nfour"],
  ["timeit", "%timeit -r 3 Math.sqrt(2)"],
  ["%%timeit", "%%timeit -n 2 -r 2\nawait new Promise((r) => setTimeout(r, 5));"],
  ["env set", "%env TFJS_LAB_MAGICS_VAR=hello world"],
  ["env get", "%env TFJS_LAB_MAGICS_VAR"],
  ["env all", "%env"],
  ["shell", "!echo $TFJS_LAB_MAGICS_VAR && echo oops >&2 && exit 3"],
  ["backend", "%backend"],
  ["trace", "%%trace\nconst probs = tf.softmax(logits);\nconst loss = lab.crossEntropy(logits, targets);"],
  ["memory reset", "%memory --reset"],
  ["leaky cell", "const kept = tf.ones([256, 1024]);\ntf.add(kept, 1);\ntf.mul(kept, 2);\nnull"],
  ["memory", "%memory"],
  ["%%memit", "%%memit\nconst big = tf.zeros([1024, 1024]);\nbig.shape"],
  ["memit", "%memit tf.ones([256, 1024]).dispose()"],
  ["gpu", "%gpu"],
  ["loss", "%loss"],
  ["model", `const model = lab.yolov5({ scale: "s", nc: 80 });`],
  ["summary", "%summary model [1,64,64,3]"],
  // Help for every magic.
  ...LINE_MAGICS.map((m): [string, string] => [`help %${m}`, `%${m}?`]),
  ["help %%trace", "%%trace?"],
  // Bad arguments, one per magic (and an unknown magic).
  ["bad time", "%time"],
  ["bad timeit", "%timeit -z 3 1"],
  ["bad who", "%who 'unclosed"],
  ["bad whos", "%whos --bogus"],
  ["bad env", "%env 3x"],
  ["bad backend", "%backend wasm cpu"],
  ["bad lsmagic", "%lsmagic --bogus"],
  ["bad shapes", "%shapes logits nosuch"],
  ["bad summary", "%summary model [1,64,x,3]"],
  ["bad trace", "%%trace --nope\n1"],
  ["bad memory", "%memory --budget 12parsecs"],
  ["bad memit", "%memit"],
  ["bad gpu", "%gpu 0"],
  ["bad loss", "%loss --bogus"],
  ["unknown magic", "%nosuchmagic 1"],
];

const BAD_ARGS: [key: string, usage: RegExp, why: RegExp][] = [
  ["bad time", /^Usage: %time STATEMENT/m, /nothing to time/],
  ["bad timeit", /^Usage: %timeit /m, /option -z not recognized/],
  ["bad who", /^Usage: %who /m, /unterminated ' quote/],
  ["bad whos", /^Usage: %whos /m, /unknown option '--bogus'/],
  ["bad env", /^Usage: %env /m, /not a variable name: 3x/],
  ["bad backend", /^Usage: %backend /m, /at most one backend name/],
  ["bad lsmagic", /^Usage: %lsmagic/m, /--bogus/],
  ["bad shapes", /^Usage: %shapes /m, /no variable named 'nosuch'/],
  ["bad summary", /^Usage: %summary MODEL/m, /input shape must be positive integers/],
  ["bad trace", /^Usage: %%trace/m, /unknown option '--nope'/],
  ["bad memory", /^Usage: %memory /m, /cannot read memory size "12parsecs"/],
  ["bad memit", /^Usage: %memit /m, /nothing to measure/],
  ["bad gpu", /^Usage: %gpu/m, /takes no arguments/],
  ["bad loss", /^Usage: %loss /m, /unknown option '--bogus'/],
];

type Output =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "error"; ename: string; evalue: string; traceback: string[] }
  | { type: "display_data" | "update_display_data" | "execute_result"; data: Record<string, any>; display_id: string | null };
interface CellResult {
  code: string;
  status: string;
  ename: string | null;
  evalue: string | null;
  outputs: Output[];
}

/** PATH without nvidia-smi, so %gpu's answer does not depend on the machine running the test. */
function pathWithoutNvidiaSmi(): string {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, "nvidia-smi")))
    .join(path.delimiter);
}

const missing = pythonJupyterMissing();

describe("magics through the kernel (jupyter_client execute_request)", () => {
  const results = new Map<string, CellResult>();
  let log = "";

  before(async () => {
    // npm test installs Debian's jupyter_client (test/run.sh); missing is a failure, never a silent skip.
    assert.equal(missing, null, missing ?? "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-magics-"));
    const cellsFile = path.join(dir, "cells.json");
    fs.writeFileSync(cellsFile, JSON.stringify(CELLS.map(([, code]) => code)));
    const jupyterPath = makeJupyterPath();
    try {
      const driver = path.join(REPO_ROOT, "test", "kernel", "magics_driver.py");
      const r = await runPython([driver, KERNEL_NAME, cellsFile], { JUPYTER_PATH: jupyterPath, PATH: pathWithoutNvidiaSmi() }, 150_000);
      log = r.stderr;
      const rows = r.stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as CellResult);
      rows.forEach((row, i) => results.set(CELLS[i][0], row));
      assert.equal(
        rows.length,
        CELLS.length,
        `the driver ran ${rows.length} of ${CELLS.length} cells (exit ${r.code}):\n${r.stderr.slice(-3000)}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(jupyterPath, { recursive: true, force: true });
    }
  });

  const cell = (key: string, status = "ok"): CellResult => {
    const r = results.get(key);
    assert.ok(r, `cell "${key}" did not run`);
    assert.equal(r.status, status, `${key}: ${r.ename}: ${r.evalue}\n--- kernel stderr ---\n${log.slice(-2000)}`);
    return r;
  };
  const stdout = (r: CellResult) =>
    r.outputs
      .filter((o) => o.type === "stream" && o.name === "stdout")
      .map((o) => (o as { text: string }).text)
      .join("");
  const stderr = (r: CellResult) =>
    r.outputs
      .filter((o) => o.type === "stream" && o.name === "stderr")
      .map((o) => (o as { text: string }).text)
      .join("");
  const displays = (r: CellResult) =>
    r.outputs.filter((o) => o.type === "display_data").map((o) => (o as { data: Record<string, string> }).data);
  const result = (r: CellResult) =>
    (r.outputs.find((o) => o.type === "execute_result") as { data: Record<string, string> } | undefined)?.data["text/plain"];

  test("setup cell ran", () => {
    cell("setup");
  });

  test("%lsmagic lists every magic this test covers, and no other", () => {
    const text = stdout(cell("lsmagic"));
    const [line, cellMagics] = [/Available line magics:\n(.*)\n/, /Available cell magics:\n(.*)\n/].map((re) =>
      re.exec(text)![1].split(/\s+/),
    );
    assert.deepEqual(
      line,
      LINE_MAGICS.map((m) => `%${m}`),
    );
    assert.deepEqual(
      cellMagics,
      CELL_MAGICS.map((m) => `%%${m}`),
    );
    assert.match(text, /Shell commands: !command\.\s+Help on a magic: %name\?/);
  });

  test("%shapes: an HTML and text table of the tensors that flags the [64, 10] batch against [32, 10]", () => {
    const [d] = displays(cell("shapes"));
    assert.ok(d, "one display_data");
    const lines = d["text/plain"].split("\n");
    assert.match(lines[0], /name\s+type\s+shape\s+dtype\s+bytes\s+backend\s+batch\?/);
    assert.match(lines.find((l) => /^\s*logits\s/.test(l))!, /Tensor\s+\[32, 10\]\s+float32\s+1\.25 KiB\s+\w+\s+ok$/);
    assert.match(lines.find((l) => /^\s*targets\s/.test(l))!, /Tensor\s+\[64, 10\]\s+float32\s+2\.50 KiB\s+\w+\s+\u26a0 64 \u2260 32$/);
    assert.match(lines.find((l) => /^\s*images\s/.test(l))!, /\[32, 8, 8, 3\]\s+float32\s+24\.0 KiB/);
    assert.ok(!lines.some((l) => /^\s*label\s/.test(l)), "strings are not listed");
    assert.match(d["text/plain"], /leading dimension differs from the majority \(32\): targets \[64, 10\]/);
    assert.match(d["text/html"], /<table>/);
    const flagged = d["text/html"].match(/<tr style="[^"]*background-color[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    assert.equal(flagged.length, 1);
    assert.match(flagged[0], /targets/);
    const names = displays(cell("shapes names"))[0]
      ["text/plain"].split("\n")
      .slice(2)
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n && !n.startsWith("\u26a0"));
    assert.deepEqual(names, ["logits", "targets"]);
  });

  test("%who and %whos list the notebook's variables; %whos shows a tensor's dtype, shape and bytes", () => {
    assert.deepEqual(stdout(cell("who")).trim().split("\t"), ["logits", "targets", "images", "label"]);
    const whos = stdout(cell("whos"));
    assert.match(whos, /^Variable\s+Type\s+Data\/Info\n-+\n/);
    assert.match(whos, /^images\s+Tensor\s+float32 \[32, 8, 8, 3\], 24\.0 KiB$/m);
    assert.match(whos, /^label\s+string\s+"cat"$/m);
    const tensorsOnly = stdout(cell("whos Tensor"));
    assert.match(tensorsOnly, /^targets\s+Tensor\s+float32 \[64, 10\], 2\.50 KiB$/m);
    assert.doesNotMatch(tensorsOnly, /label/);
  });

  test("%time and %%time print IPython's CPU and wall times and keep the value", () => {
    const timeLines =
      /^CPU times: user [\d.]+ (ns|µs|ms|s), sys: [\d.]+ (ns|µs|ms|s), total: [\d.]+ (ns|µs|ms|s)\nWall time: [\d.]+ (ns|µs|ms|s)\n$/;
    const line = cell("time");
    assert.match(stdout(line), timeLines);
    assert.equal(result(line), "3");
    const block = cell("%%time");
    assert.match(stdout(block), timeLines);
    assert.equal(result(block), "4");
  });

  test("%timeit and %%timeit print IPython's line", () => {
    const ipython =
      /^[\d.]+ (ns|µs|ms|s) ± [\d.]+(?:e-\d+)? (ns|µs|ms|s) per loop \(mean ± std\. dev\. of (\d+) runs?, ([\d,]+) loops? each\)\n$/;
    const line = ipython.exec(stdout(cell("timeit")));
    assert.ok(line, stdout(cell("timeit")));
    assert.equal(line[3], "3");
    assert.match(line[4].replace(/,/g, ""), /^[125]0*$/, "auto-range picks 1, 2 or 5 x 10^k loops");
    const block = ipython.exec(stdout(cell("%%timeit")));
    assert.ok(block, stdout(cell("%%timeit")));
    assert.deepEqual([block[1], block[3], block[4]], ["ms", "2", "2"], "two awaited 5 ms loops per run, two runs");
  });

  test("%env sets, reads and lists variables; !cmd sees them and streams stdout, stderr and its exit status", () => {
    assert.equal(stdout(cell("env set")), "env: TFJS_LAB_MAGICS_VAR=hello world\n");
    assert.equal(result(cell("env get")), "'hello world'");
    assert.match(result(cell("env all"))!, /TFJS_LAB_MAGICS_VAR/);
    const sh = cell("shell");
    assert.equal(stdout(sh), "hello world\n");
    assert.equal(stderr(sh), "oops\n(command exited with status 3)\n");
  });

  test("%backend names the backend in use and what each probe found", () => {
    const text = stdout(cell("backend"));
    assert.match(text, /^backend: (wasm|cpu|webgpu|tensorflow)\b/);
    assert.match(text, /^ {2}(ok|no) {2}wasm: /m);
  });

  test("%%trace on [64, 10] targets fed to [32, 10] logits: ValueError, the loss call and both shapes", () => {
    const r = cell("trace", "error");
    assert.equal(r.ename, "ValueError");
    assert.equal(r.evalue, "Expected input batch_size (32) to match target batch_size (64).");
    const error = r.outputs.find((o) => o.type === "error") as { ename: string; evalue: string };
    assert.deepEqual([error.ename, error.evalue], ["ValueError", r.evalue]);
    const text = stdout(r);
    assert.match(text, /^%%trace: the cell failed in crossEntropy\(logits \[32, 10\], target \[64, 10\]\)$/m);
    assert.match(text, /^ {2}logits \[32, 10\] float32: `logits`$/m);
    assert.match(text, /^ {2}target \[64, 10\] float32: `targets`$/m);
    assert.match(text, /leading \(batch\) dimensions disagree: logits 32 vs target 64/);
    const [table] = displays(r);
    assert.match(table["text/plain"], /^\s*1\s+Softmax\s+\[32, 10\]\s+\[32, 10\]/m);
    assert.match(
      table["text/plain"],
      /call\s+crossEntropy\(logits \[32, 10\], target \[64, 10\]\)\s+\[32, 10\], \[64, 10\]\s+\u2717 ValueError/,
    );
    const flagged = table["text/html"].match(/<tr style="[^"]*background-color[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    assert.equal(flagged.length, 1);
    assert.match(flagged[0], /crossEntropy/);
  });

  test("%memory: live tensors, peak, RSS, the change since the last call and the leaked tensors", () => {
    const reset = stdout(cell("memory reset"));
    assert.match(reset, /^Live tensors: \d+ \([\d.]+ (B|KiB|MiB)\) on \w+$/m);
    assert.match(reset, /^Process RSS: [\d.]+ (MiB|GiB)/m);
    cell("leaky cell");
    const text = stdout(cell("memory"));
    assert.match(text, /^Change since %memory in In\[\d+\]: \+3 tensors, \+3\.00 MiB; RSS [+-]/m);
    assert.match(
      text,
      /^\u26a0 In\[\d+\] left 2 tensors \(2\.00 MiB\) that no variable holds and nothing disposed \(use tf\.tidy or dispose\(\)\): 1 \u00d7 Add \[256, 1024\] float32, 1 \u00d7 Multiply \[256, 1024\] float32$/m,
    );
    assert.match(text, /^In\[\d+\] kept kept \(1 tensor, 1\.00 MiB\)$/m);
    // Live bytes went up by exactly the three 1 MiB tensors since the reset.
    const live = (s: string) => Number(/^Live tensors: (\d+) /m.exec(s)![1]);
    assert.equal(live(text) - live(reset), 3);
  });

  test("%%memit and %memit print memory_profiler's peak / increment line", () => {
    const block = cell("%%memit");
    assert.match(stdout(block), /^peak memory: [\d.]+ MiB, increment: 4\.00 MiB\nkept: \+1 tensors \(\+4\.00 MiB\); process RSS /);
    assert.equal(result(block), "[ 1024, 1024 ]");
    assert.match(stdout(cell("memit")), /^peak memory: [\d.]+ MiB, increment: 1\.00 MiB\nkept: \+0 tensors/);
  });

  test("%gpu without nvidia-smi: one line saying so and which backend runs", () => {
    const r = cell("gpu");
    assert.match(stdout(r), /^No GPU \(nvidia-smi not found\); TensorFlow\.js runs on the (wasm|cpu) backend \(CPU\)\.\n$/);
    assert.equal(displays(r).length, 0);
  });

  test("%loss before any training run says how to record one", () => {
    const r = cell("loss");
    assert.equal(
      stdout(r),
      "No training runs in this session yet. Record one with lab.liveTrainingView(trainer) before trainer.fit(), or compare saved runs with --dir DIR.\n",
    );
    assert.equal(displays(r).length, 0);
  });

  test("%summary of yolov5s (nc=80) at [1,64,64,3]: torchinfo's table, Total params: 7,235,389", () => {
    cell("model");
    const r = cell("summary");
    const text = stdout(r).split("\n");
    assert.equal(text[0], "=".repeat(100));
    assert.match(text[1], /^Layer \(type:depth-idx\)\s+Output Shape\s+Param #$/);
    assert.match(text[3], /^YOLOv5\s+\[1, 252, 85\]\s+--$/);
    assert.match(text[6], /^│ {4}│ {4}└─Conv2d: 3-1\s+\[1, 32, 32, 32\]\s+3,456$/);
    for (const line of [
      "Total params: 7,235,389",
      "Trainable params: 7,235,389",
      "Non-trainable params: 0",
      "Params size (MB): 28.94",
      "Input size (MB): 0.05",
    ]) {
      assert.ok(text.includes(line), line);
    }
    assert.match(stdout(r), /^Total mult-adds \(M\): [\d.]+$/m);
    const [table] = displays(r);
    assert.match(table["text/plain"], /Conv2d: 3-1\s+model\.0\.conv\s+\[1, 32, 32, 32\]\s+3,456\s+3,538,944/);
    assert.match(table["text/html"], /<table>/);
  });

  test("%name? shows each magic's usage and help", () => {
    for (const m of LINE_MAGICS) {
      const text = stdout(cell(`help %${m}`));
      assert.match(text, new RegExp(`^Usage: %${m}\\b`), m);
      assert.ok(text.split("\n").length > 2, `${m} has help after its usage line`);
    }
    assert.match(stdout(cell("help %%trace")), /^Usage: %%trace \[--all\]/);
  });

  for (const [key, usage, why] of BAD_ARGS) {
    test(`${key.replace("bad ", "%")} with bad arguments: UsageError with its usage line`, () => {
      const r = cell(key, "error");
      assert.equal(r.ename, "UsageError");
      assert.match(r.evalue!, why);
      assert.match(r.evalue!, usage);
      const error = r.outputs.find((o) => o.type === "error") as { ename: string; traceback: string[] } | undefined;
      assert.equal(error?.ename, "UsageError");
      assert.doesNotMatch(error!.traceback.join("\n"), /\n\s+at /, "no JavaScript stack for a usage error");
    });
  }

  test("an unknown magic is a UsageError pointing at %lsmagic", () => {
    const r = cell("unknown magic", "error");
    assert.equal(r.ename, "UsageError");
    assert.match(r.evalue!, /Line magic `%nosuchmagic` not found\. %lsmagic lists the magics\./);
  });
});
