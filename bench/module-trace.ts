// Where TFJS_LAB_TRACE_MODULES names a file, a bench script appends the modules it loaded to
// it before it exits: `npm run bench -- gpu` (gpu/pack-gpu.ts) carries to the GPU machine only
// the files of big packages that its smoke runs, and their child processes, loaded.
import * as fs from "node:fs";

export function appendLoadedModules(): void {
  const file = process.env.TFJS_LAB_TRACE_MODULES;
  if (file) fs.appendFileSync(file, `${Object.keys(require.cache).join("\n")}\n`);
}
