// Finds run folders from shell-style patterns (`runs/train/exp*`): `*`, `?` and `[...]` in any
// path segment, relative to a working folder or absolute. Node 20 has no fs.glob, and the
// patterns here only ever name folders, so a segment-by-segment walk is all it takes.
import * as fs from "node:fs";
import * as path from "node:path";
import { naturalCompare } from "./natural-sort";

const MAGIC = /[*?[]/;

/** A pattern segment as an anchored RegExp; an unclosed `[` is a literal bracket. */
export function segmentRegExp(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body[0] === "!" || body[0] === "^";
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory(); // follows symlinks: a linked run folder counts
  } catch {
    return false;
  }
}

export class NoMatchError extends Error {
  constructor(
    readonly pattern: string,
    readonly cwd: string,
    detail: string,
  ) {
    super(`no run folder matches "${pattern}" (relative to ${cwd}): ${detail}`);
    this.name = "NoMatchError";
  }
}

/**
 * The folders `pattern` names, absolute, in natural order (exp2 before exp10). Entries that
 * start with a dot match only a segment that starts with one, as in a shell. A pattern that
 * names an existing folder as it is (`odd [x]`) is that folder. Throws a NoMatchError naming
 * the pattern, the working folder and where the walk stopped.
 */
export function matchFolders(pattern: string, cwd: string = process.cwd()): string[] {
  const literal = path.resolve(cwd, pattern);
  if (isDirectory(literal)) return [literal];
  const abs = path.isAbsolute(pattern);
  const segments = pattern.split(/\/+/).filter((s) => s !== "" && s !== ".");
  let current = [abs ? path.parse(path.resolve(pattern)).root : path.resolve(cwd)];
  for (const segment of segments) {
    const next: string[] = [];
    if (!MAGIC.test(segment)) {
      for (const dir of current) if (isDirectory(path.join(dir, segment))) next.push(path.join(dir, segment));
      if (!next.length) throw new NoMatchError(pattern, cwd, `${path.join(current[0], segment)} is not a folder`);
    } else {
      const re = segmentRegExp(segment);
      for (const dir of current) {
        let names: string[];
        try {
          names = fs.readdirSync(dir);
        } catch {
          continue;
        }
        for (const name of names) {
          if (name.startsWith(".") && !segment.startsWith(".")) continue;
          if (re.test(name) && isDirectory(path.join(dir, name))) next.push(path.join(dir, name));
        }
      }
      if (!next.length) {
        const where = current.length === 1 ? current[0] : `${current.length} folders (${current[0]}, ...)`;
        throw new NoMatchError(pattern, cwd, `no folder in ${where} matches "${segment}"`);
      }
    }
    current = next;
  }
  return [...new Set(current)].sort(naturalCompare);
}
