import { promises as fs } from "node:fs";
import * as path from "node:path";
import { isImageFile } from "./image";
import { namedError } from "./errors";
import { walkFiles } from "./walk-files";

/**
 * The image files of a YOLO split, as LoadImagesAndLabels finds them:
 *  - a folder: searched recursively, like `glob('**' + '/*.*')`, which skips hidden files
 *    and folders (so macOS `._x.jpg` companions are not taken for images);
 *  - a .txt file with one image path per line: `./x.jpg` is relative to the list's
 *    folder, as in YOLOv5; an absolute path is used as is; any other relative line is
 *    relative to `root` (the dataset's `path`), where YOLOv5 would use its working folder.
 * Sorted, images only (by extension). Listed files are not checked here: a missing one is
 * reported, and skipped, when the dataset verifies its images.
 */
export async function listImageFiles(sources: string[], prefix = "", root?: string): Promise<string[]> {
  const found: string[] = [];
  for (const p of sources) {
    const stat = await fs.stat(p).catch(() => null);
    if (stat?.isDirectory()) {
      found.push(...(await walkFiles(p)).filter((f) => !hasHiddenPart(path.relative(p, f))));
    } else if (stat?.isFile()) {
      found.push(...(await listedFiles(p, root ?? path.dirname(p))));
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

async function listedFiles(listFile: string, root: string): Promise<string[]> {
  const parent = path.dirname(listFile);
  const lines = (await fs.readFile(listFile, "utf8"))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.map((l) => (l.startsWith("./") ? path.join(parent, l.slice(2)) : path.resolve(root, l)));
}

function hasHiddenPart(relative: string): boolean {
  return relative.split(path.sep).some((part) => part.startsWith("."));
}
