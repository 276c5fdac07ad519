// lab.runs.load: the real v7.0 run folder, and run folders built here that are broken in the
// ways real ones are; one broken file never stops the load.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runs, YoloRun, distinctNames } from "../../src/toolkit/runs";
import { toMimeBundle } from "../../src/display";
import { DETECT_COLUMNS, detectRows, hypYaml, optYaml, resultsCsvText, tempDir, writeRun } from "./make-run";

const FIXTURE = path.resolve(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run");
const root = tempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));
const quiet = { cwd: root, onWarning: null };

test("the real YOLOv5 v7.0 run: results, opt, hyp, weights, no warnings", () => {
  const [run, ...rest] = runs.load(FIXTURE, { onWarning: null });
  assert.equal(rest.length, 0);
  assert.ok(run instanceof YoloRun);
  assert.equal(run.name, "run");
  assert.equal(run.dir, FIXTURE);
  assert.deepEqual(run.warnings, []);
  assert.equal(run.epochs, 40);
  assert.equal(run.plannedEpochs, 40);
  assert.deepEqual(run.results.columnNames(), DETECT_COLUMNS);
  assert.equal(run.opt.batch_size, 16);
  assert.equal(run.opt.name, "shapes-n");
  assert.equal(run.hyp.lr0, 0.01);
  assert.deepEqual(run.hyp, run.opt.hyp, "v7.0 writes the hyper-parameters to both");
  assert.deepEqual(run.weights, [path.join(FIXTURE, "weights/best.pt")]);
  const best = run.bestMetrics();
  assert.deepEqual(
    best.map((b) => b.column),
    ["metrics/mAP_0.5", "metrics/mAP_0.5:0.95"],
  );
  const map = run.column("metrics/mAP_0.5")!;
  assert.equal(best[0].value, Math.max(...map));
  assert.equal(best[0].epoch, map.indexOf(Math.max(...map)));
});

test("the same run through a relative glob from the fixtures folder", () => {
  const found = runs.load("yolov5-v7.0-*/ru[nN]", { cwd: path.dirname(path.dirname(FIXTURE)), onWarning: null });
  assert.deepEqual(
    found.map((r) => r.dir),
    [FIXTURE],
  );
  assert.throws(
    () => runs.load("yolov5-v7.0-*/exp*", { cwd: path.dirname(path.dirname(FIXTURE)) }),
    /no run folder matches "yolov5-v7\.0-\*\/exp\*" \(relative to .*fixtures\)/,
  );
});

test("displaying a YoloRun: name, dir, epochs, best mAP and weights, as text and HTML", () => {
  const [run] = runs.load(FIXTURE, { onWarning: null });
  const { data } = toMimeBundle(run);
  const text = data["text/plain"] as string;
  assert.match(
    text,
    /^YOLOv5 run run\n {2}dir {7}.*yolov5-v7\.0-run\/run\n {2}epochs {4}40\/40\n {2}best {6}mAP_0\.5 0\.\d+ \(epoch \d+\), mAP_0\.5:0\.95 0\.\d+ \(epoch \d+\)\n {2}weights {3}best\.pt \(3\.5 MiB\)$/,
  );
  assert.match(data["text/html"] as string, /^<div class="tfjs-lab-yolo-run"><b>YOLOv5 run run<\/b><table><tr><th[^>]*>dir<\/th>/);
  // In a list (what load returns) each run is one line.
  assert.match(
    toMimeBundle([run]).data["text/plain"] as string,
    /^\[\n {2}YoloRun run \(40\/40 epochs, best mAP_0\.5 0\.\d+ \(epoch \d+\), best\.pt\) \/.*\/run\n\]$/,
  );
});

test("many runs: natural order, patterns in the order given, a folder matched twice read once", () => {
  for (const n of ["exp", "exp2", "exp10", "exp3"]) {
    writeRun(root, `runs/train/${n}`, {
      "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(3)),
      "opt.yaml": optYaml({}, n),
      "hyp.yaml": hypYaml(),
    });
  }
  assert.deepEqual(
    runs.load("runs/train/exp*", quiet).map((r) => r.name),
    ["exp", "exp2", "exp3", "exp10"],
  );
  assert.deepEqual(
    runs.load(["runs/train/exp10", "runs/train/exp?", "runs/train/exp3"], quiet).map((r) => r.name),
    ["exp10", "exp2", "exp3"],
  );
  assert.deepEqual(
    runs.load(path.join(root, "runs/train/exp"), { onWarning: null }).map((r) => r.warnings),
    [[]],
  );
  assert.throws(() => runs.load([], quiet), /give a folder or a pattern/);
});

test("folders sharing a name are told apart by their parents", () => {
  assert.deepEqual(distinctNames(["/a/runs/train/exp", "/b/runs/train/exp", "/a/runs/train/exp2"]), [
    "a/runs/train/exp",
    "b/runs/train/exp",
    "exp2",
  ]);
  assert.deepEqual(distinctNames(["/x/train/exp", "/x/val/exp"]), ["train/exp", "val/exp"]);
  writeRun(root, "runs/val/exp", { "opt.yaml": optYaml() });
  assert.deepEqual(
    runs.load("runs/*/exp", quiet).map((r) => r.name),
    ["train/exp", "val/exp"],
  );
});

test("weights: best, then last, then the others; .pt and .safetensors files only", () => {
  const dir = writeRun(root, "w/exp", {
    "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(2)),
    "opt.yaml": optYaml(),
    "hyp.yaml": hypYaml(),
    weights: { "epoch10.pt": "", "last.pt": "", "epoch2.pt": "", "best.safetensors": "", "best.pt": "", "notes.txt": "" },
    other: { "events.out.tfevents.1700000000.host.1.0": "", "labels.jpg": "", "confusion_matrix.png": "", "results.png": "" },
  });
  fs.symlinkSync(path.join(dir, "gone.pt"), path.join(dir, "weights/dangling.pt"));
  fs.mkdirSync(path.join(dir, "weights/a-folder.pt"));
  const [run] = runs.load(dir, { onWarning: null });
  assert.deepEqual(
    run.weights.map((w) => path.relative(dir, w)),
    ["weights/best.pt", "weights/best.safetensors", "weights/last.pt", "weights/epoch2.pt", "weights/epoch10.pt"],
  );
  assert.deepEqual(run.warnings, []);
});

test("a crashed run (no results.csv), a killed one (cut-off line), broken yaml: warnings, the rest loads", () => {
  writeRun(root, "bad/exp1", { "opt.yaml": optYaml({}, "exp1"), "hyp.yaml": hypYaml(), weights: { "last.pt": "" } });
  const partial = `${resultsCsvText(DETECT_COLUMNS, detectRows(16))}16,0.1,0.02,0.04,0.5`;
  writeRun(root, "bad/exp2", { "results.csv": partial, "opt.yaml": "epochs: 3\nname: [exp2\n", "hyp.yaml": hypYaml() });
  writeRun(root, "bad/exp3", { "results.csv": "", "opt.yaml": optYaml({ hyp: "data/hyps/hyp.scratch-low.yaml" }, "exp3") });
  writeRun(root, "bad/exp4", {
    "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(2)),
    "opt.yaml": optYaml({ hyp: "\n  lr0: 0.02\n  box: 0.04" }, "exp4"),
  });
  fs.mkdirSync(path.join(root, "bad/notes"));
  const seen: string[] = [];
  const loaded = runs.load("bad/*", { cwd: root, onWarning: (m) => seen.push(m) });
  const byName = Object.fromEntries(loaded.map((r) => [r.name, r]));
  const dir = (n: string) => path.join(root, "bad", n);
  assert.deepEqual(
    loaded.map((r) => r.name),
    ["exp1", "exp2", "exp3", "exp4", "notes"],
  );

  assert.deepEqual(byName.exp1.warnings, [`${dir("exp1")}/results.csv: missing (the run stopped before its first epoch ended?)`]);
  assert.equal(byName.exp1.epochs, 0);
  assert.equal(byName.exp1.opt.epochs, 3);
  assert.equal(byName.exp1.weights.length, 1);

  assert.equal(byName.exp2.epochs, 16);
  assert.equal(
    byName.exp2.warnings[0],
    `${dir("exp2")}/results.csv:18: expected 14 values, found 5 (the last line is cut off: was the run stopped while writing it?)`,
  );
  assert.match(byName.exp2.warnings[1], new RegExp(`^${dir("exp2")}/opt\\.yaml:\\d+: .*; the file was not read$`));
  assert.deepEqual(byName.exp2.opt, {});
  assert.equal(byName.exp2.hyp.lr0, 0.01, "hyp.yaml still read");

  assert.deepEqual(byName.exp3.warnings, [
    `${dir("exp3")}/results.csv: empty (the run stopped before its first epoch ended?)`,
    `${dir("exp3")}/hyp.yaml: missing (opt.hyp names data/hyps/hyp.scratch-low.yaml)`,
  ]);
  assert.deepEqual(byName.exp4.hyp, { lr0: 0.02, box: 0.04 }, "no hyp.yaml: opt.hyp");
  assert.deepEqual(byName.exp4.warnings, []);

  assert.deepEqual(byName.notes.warnings.slice(0, 1), [
    `${dir("notes")}: no results.csv, opt.yaml, hyp.yaml or weights/: is this a YOLOv5 run folder?`,
  ]);
  assert.ok(seen.includes(`exp1: ${byName.exp1.warnings[0]}`), "warnings are reported with the run's name");
  assert.equal(
    seen.length,
    loaded.reduce((n, r) => n + r.warnings.length, 0),
  );
  assert.match(
    toMimeBundle(byName.exp2).data["text/plain"] as string,
    /\n {2}warnings {2}.*results\.csv:18: expected 14 values, found 5.*\n {12}.*opt\.yaml/,
  );
});

test("a !!python/object/apply:os.system tag in opt.yaml is data: nothing runs, the run loads", () => {
  const marker = path.join(root, "ran");
  writeRun(root, "evil/exp", {
    "results.csv": resultsCsvText(DETECT_COLUMNS, detectRows(2)),
    "opt.yaml": `epochs: 2\nweights: !!python/object/apply:os.system ["touch ${marker}"]\nsave_dir: !!python/object/apply:pathlib.PosixPath\n- runs\n- train\n- exp\n`,
    "hyp.yaml": hypYaml(),
  });
  const [run] = runs.load("evil/exp", quiet);
  assert.equal(fs.existsSync(marker), false);
  assert.deepEqual(run.opt.weights, { "!!python/object/apply:os.system": [`touch ${marker}`] });
  assert.equal(run.opt.save_dir, "runs/train/exp");
  assert.deepEqual(run.warnings, [
    `${path.join(root, "evil/exp/opt.yaml")}:2: !!python/object/apply:os.system kept as data (a Python object; nothing was run)`,
  ]);
  assert.equal(run.epochs, 2);
});
