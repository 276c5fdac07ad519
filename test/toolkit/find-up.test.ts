import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findUp } from "../../src/toolkit";

test("findUp: the nearest folder holding the path, from a folder below it; an error naming the path otherwise", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-lab-find-up-"));
  try {
    fs.mkdirSync(path.join(root, "a", "fixtures"), { recursive: true });
    fs.writeFileSync(path.join(root, "a", "fixtures", "values.json"), "{}");
    fs.mkdirSync(path.join(root, "a", "b", "c"), { recursive: true });
    assert.equal(findUp("fixtures/values.json", path.join(root, "a", "b", "c")), path.join(root, "a", "fixtures", "values.json"));
    assert.equal(findUp("fixtures/values.json", path.join(root, "a")), path.join(root, "a", "fixtures", "values.json"));
    assert.throws(
      () => findUp("fixtures/missing-9f3.json", path.join(root, "a", "b")),
      /^Error: findUp: fixtures\/missing-9f3\.json is in no folder from .*\/a\/b up to the root$/,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
