// Options that training scripts keep in a checkpoint: pathlib paths and argparse.Namespace are
// data (a string, a record of fields), read without calling pathlib or argparse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { readTorchFile, pyToJs } from "../../src/toolkit/io";

test("pathlib paths read as strings and argparse.Namespace as a record, from a .pt written by Python", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tfjs-lab-opt-"));
  try {
    const file = path.join(dir, "opt.pt");
    execFileSync("/usr/bin/python3", [
      "-c",
      `
import argparse, pathlib, pickle, sys, zipfile
opt = {"save_dir": pathlib.PosixPath("/runs/train/exp7"), "weights": pathlib.PurePosixPath("w/best.pt"),
       "args": argparse.Namespace(imgsz=640, name="exp7")}
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("opt/data.pkl", pickle.dumps(opt, protocol=2))
    z.writestr("opt/version", "3\\n")
`,
      file,
    ]);
    assert.deepEqual(pyToJs(await readTorchFile(file)), {
      save_dir: "/runs/train/exp7",
      weights: "w/best.pt",
      args: { __class__: "argparse.Namespace", imgsz: 640, name: "exp7" },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
