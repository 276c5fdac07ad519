// opt.yaml and hyp.yaml of a run folder, read with js-yaml's safe schema: nothing in the file
// can run code. Older YOLOv5 versions dumped Python objects with PyYAML's `!!python/...` tags
// (pathlib paths, tuples, argparse namespaces); those become plain data here: a path a string,
// a tuple an array, anything else `{ "!!python/...": value }` with a warning, never a call.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

const YAML_TAG = "tag:yaml.org,2002:";
const shortTag = (tag: string) => (tag.startsWith(YAML_TAG) ? `!!${tag.slice(YAML_TAG.length)}` : tag);

/** What a PyYAML tag's node means as data; `undefined` when it has no plain meaning (kept tagged). */
function pythonData(tag: string, data: unknown): { value: unknown } | undefined {
  const name = tag.slice(`${YAML_TAG}python/`.length);
  if (/^object\/apply:pathlib\.\w*Path$/.test(name) && Array.isArray(data) && data.every((p) => typeof p === "string")) {
    return { value: data.length ? path.posix.join(...(data as string[])) : "." };
  }
  if (name === "tuple" || name === "list") return { value: data };
  if (name === "none") return { value: null };
  if (name === "str" || name === "unicode") return { value: String(data ?? "") };
  if (name === "bool") return { value: data === true || /^(true|yes|on)$/i.test(String(data)) };
  if ((name === "int" || name === "float" || name === "long") && data !== null && !Number.isNaN(Number(data)))
    return { value: Number(data) };
  return undefined;
}

/** The safe schema plus a catch-all for tags it does not know, recording which were kept as data. */
function schemaRecording(kept: Set<string>): yaml.Schema {
  const catchAll = (kind: "scalar" | "sequence" | "mapping") =>
    new yaml.Type("", {
      kind,
      multi: true,
      construct(data: unknown, tag?: string) {
        const t = tag ?? "";
        const plain = t.startsWith(`${YAML_TAG}python/`) ? pythonData(t, data) : undefined;
        if (plain) return plain.value;
        kept.add(shortTag(t));
        return { [shortTag(t)]: data };
      },
    });
  return yaml.DEFAULT_SCHEMA.extend([catchAll("scalar"), catchAll("sequence"), catchAll("mapping")]);
}

function firstLineWith(text: string, needle: string): number | undefined {
  const i = text.indexOf(needle);
  return i < 0 ? undefined : text.slice(0, i).split("\n").length;
}

export interface RunYaml {
  /** The mapping read; `{}` when the file is broken or not a mapping, undefined when it is missing. */
  value?: Record<string, unknown>;
  warnings: string[];
}

/** Reads one yaml mapping of a run folder; problems are warnings naming the file (and line). */
export function readRunYaml(file: string): RunYaml {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { warnings: [] };
    return { value: {}, warnings: [`${file}: unreadable (${code ?? (e as Error).message})`] };
  }
  const kept = new Set<string>();
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: schemaRecording(kept), filename: file });
  } catch (e) {
    const err = e as yaml.YAMLException;
    const line = err.mark ? `:${err.mark.line + 1}` : "";
    return { value: {}, warnings: [`${file}${line}: ${err.reason ?? err.message}; the file was not read`] };
  }
  const warnings = [...kept].map((tag) => {
    const line = firstLineWith(text, tag);
    return `${file}${line ? `:${line}` : ""}: ${tag} kept as data (a Python object; nothing was run)`;
  });
  if (doc === null || doc === undefined) return { value: {}, warnings: [...warnings, `${file}: empty`] };
  if (typeof doc !== "object" || Array.isArray(doc)) {
    return {
      value: {},
      warnings: [...warnings, `${file}: expected a mapping of names to values, found ${Array.isArray(doc) ? "a list" : `a ${typeof doc}`}`],
    };
  }
  return { value: doc as Record<string, unknown>, warnings };
}
