import { promises as fs } from "node:fs";
import * as path from "node:path";
import { isImageFile } from "./image";
import { namedError } from "./errors";
import { walkFiles } from "./walk-files";

/**
 * The image files of a YOLO split, as LoadImagesAndLabels finds them: a folder (searched
 * recursively) or a .txt file with one image path per line (`./x.jpg` relative to the
 * list's folder). Sorted, images only. Listed files are not checked here: a missing one
 * is reported, and skipped, when the dataset verifies its images.
 */
export async function listImageFiles(sources: string[], prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const p of sources) {
    const stat = await fs.stat(p).catch(() => null);
    if (stat?.isDirectory()) {
      found.push(...(await walkFiles(p)));
    } else if (stat?.isFile()) {
      const parent = path.dirname(p);
      const lines = (await fs.readFile(p, "utf8")).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      found.push(...lines.map((l) => (l.startsWith("./") ? path.join(parent, l.slice(2)) : path.resolve(parent, l))));
    } else {
      throw namedError(
        "FileNotFoundError",
        `${prefix}${p} does not exist. What to do: check the train/val entries and 'path' in data.yaml.`,
      );
    }
  }
  const images = found.filter(isImageFile).sort();
  if (images.length === 0) throw namedError("AssertionError", `${prefix}No images found in ${sources.join(", ")}`);
  return images;
}
