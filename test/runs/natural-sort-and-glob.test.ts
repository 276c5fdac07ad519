// Run folder patterns: natural order (exp2 before exp10) and *, ?, [...] in any segment.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { naturalCompare } from "../../src/toolkit/runs/natural-sort";
import { matchFolders, segmentRegExp, NoMatchError } from "../../src/toolkit/runs/glob";
import { tempDir } from "./make-run";

const root = tempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));
for (const d of [
  "runs/train/exp",
  "runs/train/exp2",
  "runs/train/exp10",
  "runs/train/exp3",
  "runs/train/shapes-n",
  "runs/train/.hidden",
  "runs/val/exp",
  "other/train/exp7",
  "odd [x]",
])
  fs.mkdirSync(path.join(root, d), { recursive: true });
fs.writeFileSync(path.join(root, "runs/train/exp9"), "a file, not a run folder");
const rel = (dirs: string[]) => dirs.map((d) => path.relative(root, d));

test("natural order: digits as numbers, exp before exp2 before exp10, locale-free", () => {
  const names = ["exp10", "exp", "exp2", "exp1", "exp02b", "Exp3", "exp100000000000000000001", "exp99999999999999999999"];
  assert.deepEqual([...names].sort(naturalCompare), [
    "Exp3",
    "exp",
    "exp1",
    "exp2",
    "exp02b",
    "exp10",
    "exp99999999999999999999",
    "exp100000000000000000001",
  ]);
  assert.ok(naturalCompare("exp02", "exp2") !== 0, "leading zeros still give a fixed order");
  assert.equal(naturalCompare("a", "a"), 0);
});

test("segment patterns: *, ?, [abc], [a-z], [!x], an unclosed [ is literal", () => {
  assert.ok(segmentRegExp("exp*").test("exp10") && segmentRegExp("exp*").test("exp"));
  assert.ok(segmentRegExp("exp?").test("exp2") && !segmentRegExp("exp?").test("exp10"));
  assert.ok(segmentRegExp("exp[23]").test("exp3") && !segmentRegExp("exp[23]").test("exp4"));
  assert.ok(segmentRegExp("exp[0-9]*").test("exp10") && !segmentRegExp("exp[0-9]*").test("expa"));
  assert.ok(segmentRegExp("exp[!2]").test("exp3") && !segmentRegExp("exp[!2]").test("exp2"));
  assert.ok(segmentRegExp("a.b[").test("a.b[") && !segmentRegExp("a.b").test("axb"), "dots and brackets are literal");
});

test("matchFolders: relative to cwd, natural order, only folders, no dot entries unless asked", () => {
  assert.deepEqual(rel(matchFolders("runs/train/exp*", root)), [
    "runs/train/exp",
    "runs/train/exp2",
    "runs/train/exp3",
    "runs/train/exp10",
  ]);
  assert.deepEqual(rel(matchFolders("runs/train/*", root)), [
    "runs/train/exp",
    "runs/train/exp2",
    "runs/train/exp3",
    "runs/train/exp10",
    "runs/train/shapes-n",
  ]);
  assert.deepEqual(rel(matchFolders("runs/train/.h*", root)), ["runs/train/.hidden"]);
  assert.deepEqual(rel(matchFolders("*/*/exp", root)), ["runs/train/exp", "runs/val/exp"], "a pattern in any segment");
  assert.deepEqual(rel(matchFolders("*/train/exp[37]", root)), ["other/train/exp7", "runs/train/exp3"]);
});

test("matchFolders: absolute patterns, a plain folder, trailing slash, ./ and ..", () => {
  assert.deepEqual(rel(matchFolders(path.join(root, "runs/train/exp?"))), ["runs/train/exp2", "runs/train/exp3"]);
  assert.deepEqual(rel(matchFolders("runs/train/shapes-n/", root)), ["runs/train/shapes-n"]);
  assert.deepEqual(rel(matchFolders("./runs/val/../train/exp1?", root)), ["runs/train/exp10"]);
  assert.deepEqual(rel(matchFolders("odd [x]", root)), ["odd [x]"], "a folder named with brackets, given as it is");
});

test("a pattern matching nothing throws, naming the pattern, the cwd and where it stopped", () => {
  assert.throws(
    () => matchFolders("runs/train/nope*", root),
    (e: Error) => {
      assert.ok(e instanceof NoMatchError);
      assert.equal(
        e.message,
        `no run folder matches "runs/train/nope*" (relative to ${root}): no folder in ${path.join(root, "runs/train")} matches "nope*"`,
      );
      return true;
    },
  );
  assert.throws(
    () => matchFolders("missing/train/exp*", root),
    new RegExp(`: no run folder matches "missing/train/exp\\*" \\(relative to ${root}\\): ${path.join(root, "missing")} is not a folder$`),
  );
  assert.throws(() => matchFolders("runs/train/exp9", root), /exp9 is not a folder/, "a file is not a run folder");
});
