// results.csv as train.py writes it, and as crashed, killed or other-version runs leave it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseResultsCsv, readResultsCsv } from "../../src/toolkit/runs/results-csv";
import { DETECT_COLUMNS, detectRows, resultsCsvText, tempDir } from "./make-run";

const FIXTURE = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/results.csv");
const root = tempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));

test("the real v7.0 results.csv: 40 epochs, 14 trimmed columns, numbers", () => {
  const { table, warnings } = readResultsCsv(FIXTURE);
  assert.deepEqual(warnings, []);
  assert.deepEqual(table.columnNames(), DETECT_COLUMNS);
  assert.equal(table.numRows(), 40);
  assert.deepEqual(
    Array.from(table.array("epoch") as ArrayLike<number>),
    Array.from({ length: 40 }, (_, i) => i),
  );
  const first = table.objects({ limit: 1 })[0] as Record<string, unknown>;
  assert.equal(first["train/box_loss"], 0.1213);
  assert.equal(first["metrics/mAP_0.5:0.95"], 0.00045376);
  assert.equal(first["x/lr0"], 0.0865);
});

test("a partial last line (killed mid-write) is left out with file:line and the counts", () => {
  const full = resultsCsvText(DETECT_COLUMNS, detectRows(17));
  const cut = `${full}                  17,             0.1,            0.02,`;
  const r = parseResultsCsv(cut, "/x/results.csv");
  assert.equal(r.values.epoch.length, 17);
  assert.deepEqual(r.warnings, [
    "/x/results.csv:19: expected 14 values, found 4 (the last line is cut off: was the run stopped while writing it?)",
  ]);
  // The same short row in the middle of the file is a bad row, not a cut-off one.
  const lines = full.split("\n");
  lines.splice(5, 0, "1,2,3,4,5,6,7,8,9");
  const mid = parseResultsCsv(lines.join("\n"), "results.csv");
  assert.deepEqual(mid.warnings, ["results.csv:6: expected 14 values, found 9"]);
  assert.equal(mid.values.epoch.length, 17);
});

test("nan and inf as Python prints them are numbers; garbage is NaN with a warning; CRLF and a BOM are fine", () => {
  const text = "\uFEFF  epoch,  train/box_loss,  metrics/mAP_0.5\r\n  0,  nan,  0.1\r\n  1,  inf,  -inf\r\n  2,  0x?,  \r\n";
  const r = parseResultsCsv(text, "r.csv");
  assert.deepEqual(r.columns, ["epoch", "train/box_loss", "metrics/mAP_0.5"]);
  assert.deepEqual(r.values["train/box_loss"], [NaN, Infinity, NaN]);
  assert.deepEqual(r.values["metrics/mAP_0.5"], [0.1, -Infinity, NaN]);
  assert.deepEqual(r.warnings, [
    'r.csv:4: "0x?" in column train/box_loss is not a number',
    'r.csv:4: "" in column metrics/mAP_0.5 is not a number',
  ]);
});

test("a garbled file lists ten bad rows and counts the rest", () => {
  const text = `a,b,c\n${Array.from({ length: 25 }, () => "1,2\n").join("")}`;
  const r = parseResultsCsv(text, "g.csv");
  assert.equal(r.warnings.length, 11);
  assert.equal(r.warnings[0], "g.csv:2: expected 3 values, found 2");
  assert.equal(r.warnings[10], "g.csv: 15 more bad values or rows");
});

test("missing, empty and header-only files: an empty table and a warning", () => {
  const missing = readResultsCsv(path.join(root, "nope/results.csv"));
  assert.equal(missing.table.numRows(), 0);
  assert.deepEqual(missing.warnings, [`${path.join(root, "nope/results.csv")}: missing (the run stopped before its first epoch ended?)`]);
  const empty = path.join(root, "empty.csv");
  fs.writeFileSync(empty, "\n  \n");
  assert.deepEqual(readResultsCsv(empty).warnings, [`${empty}: empty (the run stopped before its first epoch ended?)`]);
  assert.equal(readResultsCsv(empty).table.numCols(), 0);
  const header = path.join(root, "header.csv");
  fs.writeFileSync(header, resultsCsvText(DETECT_COLUMNS, []));
  const h = readResultsCsv(header);
  assert.equal(h.table.numRows(), 0);
  assert.equal(h.table.numCols(), 14);
  assert.deepEqual(h.warnings, [`${header}: a header but no epochs`]);
  const dir = path.join(root, "a-folder.csv");
  fs.mkdirSync(dir);
  assert.match(readResultsCsv(dir).warnings[0], /a-folder\.csv: unreadable \(EISDIR\)$/);
});

test("other YOLOv5 versions' columns: segmentation and classification", () => {
  const seg = [
    "epoch",
    "train/box_loss",
    "train/seg_loss",
    "train/obj_loss",
    "train/cls_loss",
    "metrics/precision(B)",
    "metrics/mAP_0.5(B)",
    "metrics/mAP_0.5(M)",
  ];
  const s = parseResultsCsv(resultsCsvText(seg, [[0, 0.1, 0.2, 0.03, 0.04, 0.5, 0.6, 0.55]]), "seg.csv");
  assert.deepEqual(s.columns, seg);
  assert.equal(s.values["train/seg_loss"][0], 0.2);
  const cls = ["epoch", "train/loss", "val/loss", "metrics/accuracy_top1", "metrics/accuracy_top5", "lr/0"];
  const c = parseResultsCsv(resultsCsvText(cls, [[0, 2.3, 2.2, 0.4, 0.8, 0.001]]), "cls.csv");
  assert.deepEqual(c.warnings, []);
  assert.equal(c.values["metrics/accuracy_top1"][0], 0.4);
});
