// The magic registry: line magics (`%name args`), cell magics (`%%name args` + body), help
// with `%name?`, and a UsageError carrying the usage line for bad arguments. Each magic is
// one file that calls `defineMagic`; adding one is that file plus a line in ./index.ts.
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { OutputSink } from "../engine/types";
import type { Namespace } from "../engine/namespace";

export class UsageError extends Error {
  constructor(message: string, usage?: string) {
    super(usage ? `${message}\nUsage: ${usage}` : message);
    this.name = "UsageError";
  }
}

/** What a magic can reach: the cell's output, the namespace, and the engine's runner. */
export interface MagicContext {
  sink: OutputSink;
  signal: AbortSignal;
  namespace: Namespace;
  executionCount: number;
  /**
   * Runs TypeScript as a cell body would (same namespace); returns its last value.
   * `wrapperLines`: lines the magic put before the user's code, so errors give the cell's lines.
   */
  runCode(code: string, wrapperLines?: number): Promise<{ hasValue: boolean; value?: unknown }>;
  /** Shows a value as rich output in this cell. */
  show(value: unknown): void;
  print(text: string): void;
}

export interface Magic {
  name: string;
  /** "line": %name only; "cell": %%name only; "both": either. */
  kind: "line" | "cell" | "both";
  usage: string;
  help: string;
  /** `body` is the cell text after the first line for %%name, undefined for %name. Returns a value to show as the cell's result. */
  run(args: string, ctx: MagicContext, body?: string): Promise<unknown> | unknown;
}

const magics = new Map<string, Magic>();

export function defineMagic(m: Magic): Magic {
  magics.set(m.name, m);
  return m;
}
export function getMagic(name: string): Magic | undefined {
  return magics.get(name);
}
export function allMagics(): Magic[] {
  return [...magics.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Splits an argument string as a shell would (quotes group, backslash escapes). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "",
    quote: string | null = null,
    any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote} quote in arguments: ${s}`);
  if (cur || any) out.push(cur);
  return out;
}

/** node's parseArgs, with every complaint turned into a UsageError naming the magic's usage. */
export interface ParsedMagicArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parseMagicArgs(
  magic: Pick<Magic, "name" | "usage">,
  args: string,
  options: NonNullable<ParseArgsConfig["options"]>,
  allowPositionals = true,
): ParsedMagicArgs {
  try {
    return parseArgs({ args: splitArgs(args), options, allowPositionals, strict: true });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`%${magic.name}: ${e.message}`, magic.usage);
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "").replace(/^Unknown option/, "unknown option");
    throw new UsageError(`%${magic.name}: ${msg}`, magic.usage);
  }
}

export function helpText(m: Magic): string {
  return `Usage: ${m.usage}\n\n${m.help.trim()}\n`;
}
