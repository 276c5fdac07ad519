// The reproduce table's "failure reproduced" column, from notebook sources in the percent
// format: the error a tagged cell raised, a stated reason where a notebook shows that a
// reported failure does not happen as reported, and NO where a tagged cell did not raise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { percentToNotebook } from "../../src/runner/percent-format";
import { summarize } from "../../src/runner/summary";
import type { CellRecord } from "../../src/runner/run-notebook";

const run = (src: string, cells: CellRecord[]) => summarize({ file: "/x/nb.ipynb", notebook: percentToNotebook(src), cells, ms: 1000 });
const ok = (index: number): CellRecord => ({ index, status: "ok", raisesTag: false, ms: 1 });

test("a not-reproduced header is kept in the metadata and printed as the reason", () => {
  const src = "// title: t\n// not-reproduced: validation fits where training fits\n// %%\n1\n";
  assert.equal(percentToNotebook(src).metadata.tfjs_lab.not_reproduced, "validation fits where training fits");
  const s = run(src, [ok(0)]);
  assert.equal(s.reproduced, "not reproduced: validation fits where training fits");
  assert.equal(s.ok, true);
});

test("without tagged cells or a reason the notebook has no failure to reproduce", () => {
  const src = "// %%\n1\n";
  assert.equal(percentToNotebook(src).metadata.tfjs_lab.not_reproduced, undefined);
  assert.equal(run(src, [ok(0)]).reproduced, "(no failure to reproduce)");
});

test("a tagged cell's documented error is the reproduced failure; one that did not raise is a NO", () => {
  const src = '// expected-error: ValueError: bad\n// %% tags=["raises-exception"]\nf()\n// %%\n2\n';
  const raised: CellRecord = { index: 0, status: "error", raisesTag: true, ename: "ValueError", evalue: "bad", ms: 1 };
  assert.equal(run(src, [raised, ok(1)]).reproduced, "ValueError: bad");
  const s = run(src, [{ ...raised, status: "ok", ename: undefined, evalue: undefined }, ok(1)]);
  assert.match(s.reproduced, /^NO: 1 tagged cell\(s\) did not raise/);
  assert.equal(s.ok, false);
});

test("a notebook without a failure prints what its finding-tagged cell printed last, and only if that cell ran", () => {
  const src = "// %%\n1\n// %% tags=[\"finding\"]\nconsole.log('x')\n";
  const nb = percentToNotebook(src);
  nb.cells[1].outputs = [
    { output_type: "stream", name: "stdout", text: ["checking\n", "lab.val agrees with val.py: mAP50-95 0.585 vs 0.585\n"] },
  ];
  const s = summarize({ file: "/x/nb.ipynb", notebook: nb, cells: [ok(0), ok(1)], ms: 1000 });
  assert.equal(s.reproduced, "lab.val agrees with val.py: mAP50-95 0.585 vs 0.585");
  const failed = summarize({
    file: "/x/nb.ipynb",
    notebook: nb,
    cells: [ok(0), { index: 1, status: "error", raisesTag: false, ename: "Error", evalue: "x", ms: 1 }],
    ms: 1000,
  });
  assert.equal(failed.reproduced, "(no failure to reproduce)");
  assert.equal(failed.ok, false);
});
