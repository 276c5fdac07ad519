// `tfjs-lab build-notebooks [SRC...] [--out DIR]`: builds .ipynb files (without outputs)
// from the percent-format sources in notebooks/src/.
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_ROOT } from "../engine/compiler";
import { percentToNotebook } from "../runner/percent-format";
import { writeNotebook } from "../runner/nbformat";

export async function buildNotebooksCommand(args: string[]): Promise<number> {
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? args[outIdx + 1] : path.join(KERNEL_ROOT, "notebooks");
  const given = args.filter((_a, i) => outIdx < 0 || (i !== outIdx && i !== outIdx + 1));
  const srcDir = path.join(KERNEL_ROOT, "notebooks", "src");
  const sources = given.length
    ? given
    : fs
        .readdirSync(srcDir)
        .filter((f) => f.endsWith(".ts"))
        .sort()
        .map((f) => path.join(srcDir, f));
  fs.mkdirSync(out, { recursive: true });
  for (const src of sources) {
    const nb = percentToNotebook(fs.readFileSync(src, "utf8"), src);
    const dest = path.join(out, path.basename(src).replace(/\.ts$/, ".ipynb"));
    writeNotebook(dest, nb);
    process.stdout.write(`${src} -> ${dest} (${nb.cells.length} cells)\n`);
  }
  return 0;
}
