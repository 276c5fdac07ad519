import { promises as fs } from "node:fs";
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
 * list or an {id: name} map), following check_dataset. One difference: a relative
 * `path` (or none) is taken relative to the yaml's own folder, not YOLOv5's install
 * folder, so a dataset can be moved as a whole.
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
    throw namedError("AssertionError", `${names.length} names found for nc=${String(d.nc)} dataset in ${file}. What to do: make nc equal to the number of names.`);
  }
  const yamlDir = path.dirname(path.resolve(file));
  const root = typeof d.path === "string" && d.path.length ? path.resolve(yamlDir, d.path) : yamlDir;
  const splitPaths = (v: unknown): string[] =>
    v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map((p) => path.resolve(root, String(p)));
  return { file, root, train: splitPaths(d.train), val: splitPaths(d.val), test: splitPaths(d.test), nc: names.length, names };
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
      if (out[i] === undefined) throw namedError("AssertionError", `${file}: names has no entry for class ${i}; ids must run from 0 without gaps`);
    }
    return out;
  }
  throw namedError("AssertionError", `${file}: names must be a list or a mapping of class ids to names`);
}
