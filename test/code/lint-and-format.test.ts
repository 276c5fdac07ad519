// The code passes its linter and is formatted (Biome, configured in biome.jsonc): a change that
// does not fails `npm test` with Biome's own diagnostics. `npm run format` fixes the layout.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "../../..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

function biome(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(BIOME, [...args, "--colors=off", "--max-diagnostics=40", "."], { cwd: ROOT, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test("biome lint: the code passes the linter", () => {
  const { status, output } = biome("lint", "--error-on-warnings");
  assert.equal(status, 0, output);
});

test("biome format: every file is formatted (npm run format)", () => {
  const { status, output } = biome("format");
  assert.equal(status, 0, output);
});
