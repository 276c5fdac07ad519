import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { namedError } from "./errors";

/** A YOLO data.yaml, resolved: absolute split paths, class names in id order. */
export interface DataYaml {
  file: string;
  root: string;
  train: string[];
  val: string[];
  test: string[];
  nc: number;
  names: string[];
}

/**
 * Reads a YOLOv5 data.yaml (`path`, `train`, `val`, optional `test`, `nc`, `names` as a
 * list or an {id: name} map), following check_dataset. Paths:
 *  - `path:` absolute is used as is. Relative (or absent), YOLOv5 takes it from its own
 *    install folder; we take it from the yaml's folder, so a dataset moves as a whole. When
 *    that folder does not exist we try, in order, YOLOv5's install folder if the yaml sits
 *    in a checkout's `data/` folder (its own yamls say `path: ../datasets/coco128`), then
 *    the working directory (where YOLOv5 users run train.py from).
 *  - each split is a folder, a `.txt` list of images, or a list of those, relative to `path`.
 *  - exports from Roboflow and CVAT put data.yaml beside train/ and valid/ and say
 *    `train: ../train/images`, with no `path:`. YOLOv5 resolves that from its install
 *    folder and falls back to dropping the `../` when the result does not exist; with
 *    `path` defaulting to the yaml's folder, the same fallback finds `<yaml folder>/train/images`,
 *    wherever the export is unpacked. We apply it to list entries too.
 */
export async function readDataYaml(file: string): Promise<DataYaml> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw namedError("FileNotFoundError", `data.yaml not found: ${file}. What to do: pass the path of an existing dataset yaml.`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw namedError("YAMLError", `${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!doc || typeof doc !== "object") throw namedError("AssertionError", `${file}: expected a mapping with train, val and names`);
  const d = doc as Record<string, unknown>;
  for (const k of ["train", "val", "names"]) {
    if (!(k in d)) throw namedError("AssertionError", `data.yaml '${k}:' field missing ❌ (${file})`);
  }
  const names = namesOf(d.names, file);
  if (d.nc !== undefined && d.nc !== names.length) {
    throw namedError(
      "AssertionError",
      `${names.length} names found for nc=${String(d.nc)} dataset in ${file}. What to do: make nc equal to the number of names.`,
    );
  }
  const yamlDir = path.dirname(path.resolve(file));
  const root = datasetRoot(typeof d.path === "string" || typeof d.path === "number" ? String(d.path) : "", yamlDir);
  const splitPaths = (v: unknown): string[] =>
    v === undefined || v === null || v === "" ? [] : (Array.isArray(v) ? v : [v]).map((p) => splitPath(root, String(p)));
  return { file, root, train: splitPaths(d.train), val: splitPaths(d.val), test: splitPaths(d.test), nc: names.length, names };
}

/** The dataset folder a `path:` value names (see readDataYaml for the order tried). */
function datasetRoot(value: string, yamlDir: string): string {
  if (!value) return yamlDir;
  if (path.isAbsolute(value)) return path.normalize(value);
  const fromYaml = path.resolve(yamlDir, value);
  const candidates = [fromYaml];
  const checkout = path.dirname(yamlDir);
  if (path.basename(yamlDir) === "data" && existsSync(path.join(checkout, "train.py"))) candidates.push(path.resolve(checkout, value));
  candidates.push(path.resolve(value));
  return candidates.find((c) => existsSync(c)) ?? fromYaml;
}

/** One split entry under root, with check_dataset's fallback for `../train/images` that does not exist. */
function splitPath(root: string, entry: string): string {
  const direct = path.resolve(root, entry);
  if (existsSync(direct) || !/^\.\.[\\/]/.test(entry)) return direct;
  const stripped = path.resolve(root, entry.slice(3));
  return existsSync(stripped) ? stripped : direct;
}

function namesOf(value: unknown, file: string): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const ids = entries.map(([k]) => Number(k));
    if (ids.some((id) => !Number.isInteger(id))) throw namedError("AssertionError", "data.yaml names keys must be integers, i.e. 2: car");
    const out: string[] = [];
    entries.forEach(([k, v]) => (out[Number(k)] = String(v)));
    for (let i = 0; i < out.length; i++) {
      if (out[i] === undefined)
        throw namedError("AssertionError", `${file}: names has no entry for class ${i}; ids must run from 0 without gaps`);
    }
    return out;
  }
  throw namedError("AssertionError", `${file}: names must be a list or a mapping of class ids to names`);
}
