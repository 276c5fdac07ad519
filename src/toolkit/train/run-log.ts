import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Appends one JSON record per line and fsyncs it, so a run killed mid-epoch keeps every
 * epoch it finished (the notebooks read it back to plot curves).
 */
export function appendRunLog(file: string, record: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "a");
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a JSONL run log; a torn last line (crash while writing) is ignored. */
export function readRunLog(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* torn write */
    }
  }
  return out;
}
