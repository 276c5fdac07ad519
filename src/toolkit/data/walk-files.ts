import { promises as fs } from "node:fs";
import * as path from "node:path";

/** All files under dir, recursively (unsorted; callers sort). */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(full)));
    else out.push(full);
  }
  return out;
}
