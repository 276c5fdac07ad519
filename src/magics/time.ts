// %time / %%time: wall and CPU time of one run, printed as IPython prints them.
import { defineMagic, UsageError } from "./registry";
import { formatTime } from "./format-time";

export const timeMagic = defineMagic({
  name: "time",
  kind: "both",
  usage: "%time STATEMENT   |   %%time (then the cell body)",
  help: `Time one execution of a statement or cell: CPU (user, sys) and wall time.
The statement's value is the cell's result, as without %time.`,
  async run(args, ctx, body) {
    const code = body ?? args;
    if (!code.trim()) throw new UsageError("%time: nothing to time", this.usage);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let result: { hasValue: boolean; value?: unknown } | undefined;
    try {
      result = await ctx.runCode(code);
    } finally {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const user = cpu.user / 1e6, sys = cpu.system / 1e6;
      ctx.print(`CPU times: user ${formatTime(user)}, sys: ${formatTime(sys)}, total: ${formatTime(user + sys)}\nWall time: ${formatTime(wall)}\n`);
    }
    return result?.hasValue ? result.value : undefined;
  },
});
