// %loss --yolo through the engine: YOLOv5 run folders next to the session's own runs in one
// plotly figure, metric names in either spelling, and the errors a user meets.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { cellRunner } from "./run-cell";
import { DETECT_COLUMNS, detectRows, hypYaml, optYaml, resultsCsvText, tempDir, writeRun } from "../runs/make-run";

const FIXTURES = path.resolve(__dirname, "../../../test/fixtures");
const root = tempDir("tfjs-lab-loss-yolo-");
const cells = cellRunner();
after(async () => {
  await cells.engine.shutdown();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Fig {
  data: { name: string; x: number[]; y: number[]; mode: string }[];
  layout: { title: { text: string }; yaxis: { title: { text: string } } };
}
async function figureOf(code: string) {
  const r = await cells.run(code);
  assert.equal(r.status, "ok", r.evalue);
  const result = r.sink.events.find((e) => e.type === "execute_result");
  return {
    fig: (result?.data as Record<string, unknown> | undefined)?.["application/vnd.plotly.v1+json"] as Fig | undefined,
    text: r.text,
  };
}

test("%loss --yolo with no session runs: the real v7.0 run's mAP per epoch", async () => {
  const { fig } = await figureOf(`%loss --yolo ${FIXTURES}/yolov5-v7.0-*/run --metric mAP_0.5`);
  assert.ok(fig);
  assert.deepEqual(
    fig.data.map((t) => [t.name, t.mode]),
    [["run", "lines+markers"]],
  );
  assert.equal(fig.data[0].x.length, 40);
  assert.deepEqual([fig.data[0].x[0], fig.data[0].x[39]], [1, 40]);
  assert.equal(fig.layout.title.text, "mAP_0.5: run");
});

test("session runs and YOLOv5 runs in one figure; mAP@0.5 and mAP_0.5 both work; relative patterns", async () => {
  const made = await cells.run(`
const s = lab.startRun({ name: "mine", batchesPerEpoch: 2 });
s.iterations = { ni: [0, 1, 2, 3], x: [0.5, 1, 1.5, 2], loss: [4, 3, 2, 1], items: { box: [1, 0.8, 0.6, 0.4], obj: [1, 1, 1, 1] }, lr: [] };
s.epochEnds = { epoch: [0, 1], trainLoss: [3.5, 1.5], items: {}, metrics: { "mAP@0.5": [0.2, 0.4] }, epochMs: [1, 1] };
s.status = "done";`);
  assert.equal(made.status, "ok", made.evalue);
  for (const n of ["exp", "exp2", "exp10"]) {
    writeRun(root, `runs/train/${n}`, {
      "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(3)),
      "opt.yaml": optYaml({}, n),
      "hyp.yaml": hypYaml(),
    });
  }
  const cwd = process.cwd();
  process.chdir(root);
  try {
    for (const metric of ["mAP_0.5", "mAP@0.5", "metrics/mAP_0.5"]) {
      const { fig } = await figureOf(`%loss --yolo runs/train/exp* --metric ${metric}`);
      assert.deepEqual(
        fig!.data.map((t) => t.name),
        ["mine", "exp", "exp2", "exp10"],
        metric,
      );
      assert.deepEqual(fig!.data[0].x, [1, 2]);
      assert.deepEqual(fig!.data[1].x, [1, 2, 3], "YOLOv5 epochs drawn at epoch + 1, like the session run's metrics");
    }
    // Loss: the session run per iteration, the YOLOv5 runs per epoch; a named session run plus two patterns.
    const { fig } = await figureOf(`%loss mine --yolo runs/train/exp --yolo 'runs/train/exp1[0]'`);
    assert.deepEqual(
      fig!.data.map((t) => [t.name, t.mode, t.x.length]),
      [
        ["mine", "lines", 4],
        ["exp", "lines+markers", 3],
        ["exp10", "lines+markers", 3],
      ],
    );
    const rows = detectRows(3);
    assert.ok(Math.abs(fig!.data[1].y[0] - (rows[0][1] + rows[0][2] + rows[0][3])) < 1e-6, "box + obj + cls");
    // A curve only some runs have: drawn for those, the others named.
    const some = await figureOf(`%loss --yolo runs/train/exp --metric mAP@0.5:0.95`);
    assert.deepEqual(
      some.fig!.data.map((t) => t.name),
      ["exp"],
    );
    assert.equal(some.text, "no mAP@0.5:0.95 curve in: mine\n");
  } finally {
    process.chdir(cwd);
  }
});

test("warnings of broken run folders are printed; the figure still comes", async () => {
  writeRun(root, "broken/exp", { "results.csv": `${resultsCsvText(DETECT_COLUMNS, detectRows(2))}2,0.1`, "opt.yaml": "a: [\n" });
  const { fig, text } = await figureOf(`%loss --yolo ${root}/broken/exp --metric box`);
  assert.deepEqual(
    fig!.data.map((t) => t.name),
    ["mine", "exp"],
  );
  const lines = text.trim().split("\n");
  assert.match(lines[0], /^warning: exp: .*broken\/exp\/results\.csv:4: expected 14 values, found 2/);
  assert.match(lines[1], /^warning: exp: .*broken\/exp\/opt\.yaml:\d+: /);
});

test("errors: a pattern matching nothing, an unknown metric, a folder without --yolo; help", async () => {
  const none = await cells.run(`%loss --yolo ${root}/runs/train/nope*`);
  assert.equal(none.ename, "UsageError");
  assert.match(
    none.evalue!,
    /^%loss: no run folder matches ".*\/runs\/train\/nope\*" \(relative to .*\): no folder in .*runs\/train matches "nope\*"\nUsage: %loss /,
  );
  const metric = await cells.run(`%loss --yolo ${root}/runs/train/exp --metric top5`);
  assert.equal(metric.ename, "UsageError");
  assert.match(
    metric.evalue!,
    /^%loss: no run has a curve named "top5"\. Curves: loss, box, obj, mAP@0\.5 \(session runs\); loss, box_loss, obj_loss, cls_loss, precision, recall, mAP_0\.5, mAP_0\.5:0\.95, .* \(YOLOv5 runs\)\n/,
  );
  const bare = await cells.run(`%loss --yolo ${root}/runs/train/exp ${root}/runs/train/exp2`);
  assert.equal(bare.ename, "UsageError");
  assert.match(
    bare.evalue!,
    /unknown run ".*exp2"\. Known runs: mine \(for YOLOv5 run folders, put --yolo before each pattern: --yolo .*exp2\)/,
  );
  const help = await cells.run("%loss?");
  assert.match(help.text, /^Usage: %loss \[RUN \.\.\.\] \[--dir DIR\] \[--metric NAME\] \[--yolo PATTERN \.\.\.\]/);
  assert.match(help.text, /--yolo PATTERN {2}also draw YOLOv5 run folders/);
});
