// opt.yaml / hyp.yaml: safe schema only; PyYAML's !!python tags are data, never code.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readRunYaml } from "../../src/toolkit/runs/run-yaml";
import { tempDir } from "./make-run";

const root = tempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const f = path.join(root, name);
  fs.writeFileSync(f, text);
  return f;
};

test("the real v7.0 opt.yaml: plain object with the hyp mapping inside", () => {
  const r = readRunYaml(path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/opt.yaml"));
  assert.deepEqual(r.warnings, []);
  assert.equal(r.value!.epochs, 40);
  assert.equal(r.value!.weights, "");
  assert.deepEqual(r.value!.freeze, [0]);
  assert.equal(r.value!.evolve, null);
  assert.equal((r.value!.hyp as Record<string, number>).lr0, 0.01);
});

test("!!python/object/apply:os.system is kept as data with a warning, and nothing runs", () => {
  const marker = path.join(root, "pwned");
  const f = write(
    "evil.yaml",
    `epochs: 3\nname: !!python/object/apply:os.system ["touch ${marker}"]\nnested:\n  x: !!python/object/new:subprocess.Popen [["touch", "${marker}"]]\n`,
  );
  const r = readRunYaml(f);
  assert.equal(fs.existsSync(marker), false);
  assert.equal(r.value!.epochs, 3);
  assert.deepEqual(r.value!.name, { "!!python/object/apply:os.system": [`touch ${marker}`] });
  assert.deepEqual((r.value!.nested as Record<string, unknown>).x, { "!!python/object/new:subprocess.Popen": [["touch", marker]] });
  assert.deepEqual(r.warnings, [
    `${f}:2: !!python/object/apply:os.system kept as data (a Python object; nothing was run)`,
    `${f}:4: !!python/object/new:subprocess.Popen kept as data (a Python object; nothing was run)`,
  ]);
});

test("PyYAML's pathlib paths, tuples and argparse namespaces become plain data", () => {
  const f = write(
    "old-opt.yaml",
    [
      "save_dir: !!python/object/apply:pathlib.PosixPath",
      "- runs",
      "- train",
      "- exp3",
      "weights: !!python/object/apply:pathlib.PosixPath ['/', 'abs', 'best.pt']",
      "img_size: !!python/tuple [640, 640]",
      "opt: !!python/object:argparse.Namespace {epochs: 3}",
      "js: !!js/function 'function () { return 1 }'",
      "local: !custom 5",
      "",
    ].join("\n"),
  );
  const r = readRunYaml(f);
  assert.equal(r.value!.save_dir, "runs/train/exp3");
  assert.equal(r.value!.weights, "/abs/best.pt");
  assert.deepEqual(r.value!.img_size, [640, 640]);
  assert.deepEqual(r.value!.opt, { "!!python/object:argparse.Namespace": { epochs: 3 } });
  assert.deepEqual(r.value!.js, { "!!js/function": "function () { return 1 }" }, "js-yaml's unsafe js types are not in the schema either");
  assert.deepEqual(r.value!.local, { "!custom": "5" });
  assert.equal(r.warnings.length, 3);
  assert.match(r.warnings[0], /old-opt\.yaml:7: !!python\/object:argparse\.Namespace kept as data/);
});

test("broken yaml: one warning with file:line, an empty mapping; missing: no value, no warning", () => {
  const f = write("broken.yaml", "epochs: 3\nhyp: [1, 2\nname: x\n");
  const r = readRunYaml(f);
  assert.deepEqual(r.value, {});
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], new RegExp(`^${f}:\\d+: .+; the file was not read$`));
  const dup = readRunYaml(write("dup.yaml", "a: 1\na: 2\n"));
  assert.match(dup.warnings[0], /dup\.yaml:2: duplicated mapping key/);
  assert.deepEqual(readRunYaml(path.join(root, "none.yaml")), { warnings: [] });
  assert.deepEqual(readRunYaml(write("list.yaml", "- 1\n- 2\n")).warnings, [
    `${path.join(root, "list.yaml")}: expected a mapping of names to values, found a list`,
  ]);
  assert.deepEqual(readRunYaml(write("empty.yaml", "")).warnings, [`${path.join(root, "empty.yaml")}: empty`]);
});
