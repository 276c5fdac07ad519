// %env: show, read or set environment variables of the kernel process.
import { defineMagic, UsageError } from "./registry";

defineMagic({
  name: "env",
  kind: "line",
  usage: "%env  |  %env NAME  |  %env NAME=VALUE  |  %env NAME VALUE",
  help: "Without arguments, all environment variables (as a table); with NAME, its value; with a value, sets it for the kernel and the commands it starts.",
  run(args, ctx) {
    const a = args.trim();
    if (!a) return Object.fromEntries(Object.entries(process.env).sort(([x], [y]) => x.localeCompare(y)));
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*|\s+)([\s\S]*)$/.exec(a);
    if (m) {
      process.env[m[1]] = m[2];
      ctx.print(`env: ${m[1]}=${m[2]}\n`);
      return undefined;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) throw new UsageError(`%env: not a variable name: ${a}`, this.usage);
    if (!(a in process.env)) throw new UsageError(`%env: environment does not have key: ${a}`, this.usage);
    return process.env[a];
  },
});
