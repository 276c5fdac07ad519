// The session's input history, answering history_request (tail, range, search) as IPython does.
import type { HistoryEntry, HistoryQuery } from "./types";

export class History {
  private readonly entries: HistoryEntry[] = [];
  constructor(readonly session = 1) {}

  add(line: number, input: string): void {
    this.entries.push({ session: this.session, line, input });
  }
  setOutput(line: number, output: string): void {
    // the line set is almost always the last one added: search from the end
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].line === line) {
        this.entries[i].output = output;
        return;
      }
    }
  }

  query(q: HistoryQuery): HistoryEntry[] {
    const withOutput = (e: HistoryEntry) => (q.output ? e : { session: e.session, line: e.line, input: e.input });
    switch (q.hist_access_type) {
      case "tail":
        return this.entries.slice(-(q.n ?? 10)).map(withOutput);
      case "range": {
        // session 0 means the current session; stop is exclusive, as in IPython.
        if (q.session && q.session !== this.session && q.session > 0) return [];
        const start = q.start ?? 1,
          stop = q.stop ?? Number.MAX_SAFE_INTEGER;
        return this.entries.filter((e) => e.line >= start && e.line < stop).map(withOutput);
      }
      case "search": {
        const re = globToRegExp(q.pattern ?? "*");
        let hits = this.entries.filter((e) => re.test(e.input));
        if (q.unique) {
          const seen = new Set<string>();
          hits = hits
            .reverse()
            .filter((e) => !seen.has(e.input) && seen.add(e.input))
            .reverse();
        }
        return (q.n ? hits.slice(-q.n) : hits).map(withOutput);
      }
      default:
        return [];
    }
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[\\s\\S]*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}
