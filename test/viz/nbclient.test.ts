// A real client: nbclient (what nbconvert --execute uses) runs a training cell through the
// kernel; the saved notebook keeps one progress line and one figure, updated to the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_NAME, makeJupyterPath, PYTHON, pythonJupyterMissing, REPO_ROOT } from "../kernel/kernel-harness";

const CELL = `
await tf.setBackend("cpu");
class Lin extends lab.Module {
  w = this.param("w", tf.randomNormal([2, 1], 0, 0.1, "float32", 1));
  forward(x: tf.Tensor) { return tf.matMul(x as tf.Tensor2D, this.w as tf.Tensor2D); }
}
const data = { length: 5, *[Symbol.iterator]() {
  for (let i = 0; i < 5; i++) {
    const x = tf.randomUniform([4, 2], -1, 1, "float32", i);
    yield { images: x, targets: tf.tidy(() => tf.matMul(x, tf.tensor2d([[2], [-1]]))) };
  }
} };
const trainer = new lab.Trainer({ model: new Lin(), data, epochs: 3, nbs: null, lr0: 0.05, clipGradNorm: null,
  loss: (out: unknown, b: { targets: tf.Tensor }) => tf.losses.meanSquaredError(b.targets, out as tf.Tensor) as tf.Scalar,
  validate: ({ epoch }) => ({ top1: epoch / 3 }) });
lab.liveTrainingView(trainer, { runName: "nb" });
await trainer.fit();
trainer.dispose();
`;

function execute(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(REPO_ROOT, "test", "viz", "execute_notebook.py"), KERNEL_NAME], {
      env: { ...process.env, ...env },
    });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("error", reject);
    child.on("close", (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout, stderr });
    });
    child.stdin.end(code);
  });
}

test("nbclient saves the live view's final progress line and figure in place of the first ones", async () => {
  assert.equal(pythonJupyterMissing(["nbclient", "nbformat", "jupyter_client"]), null);
  const jupyterPath = makeJupyterPath();
  try {
    const r = await execute(CELL, { JUPYTER_PATH: jupyterPath });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const outputs = JSON.parse(r.stdout.trim().split("\n").pop()!) as { output_type: string; data: Record<string, any> }[];
    const displays = outputs.filter((o) => o.output_type === "display_data");
    assert.equal(displays.length, 2, JSON.stringify(outputs).slice(0, 2000));
    assert.match(displays[0].data["text/plain"], /^nb {2}done: 3\/3 epochs in \d+:\d\d {2}train loss [\d.e+-]+ {2}top1 0\.6667$/);
    const fig = displays[1].data["application/vnd.plotly.v1+json"];
    assert.deepEqual(
      fig.data.map((t: { name: string; y: number[] }) => [t.name, t.y.length]),
      [
        ["loss", 15],
        ["lr", 15],
        ["top1", 3],
      ],
    );
    // The saved figure stands alone: its own static image, in its HTML too, and no plotly.js.
    const html = [].concat(displays[1].data["text/html"]).join("");
    assert.ok(displays[1].data["image/png"] && html.includes(String(displays[1].data["image/png"]).trim()) && html.length < 100_000);
  } finally {
    fs.rmSync(jupyterPath, { recursive: true, force: true });
  }
});
