// %time / %%time: wall and CPU time of one run, printed as IPython prints them. On a
// backend that queues work for a device (webgpu) the clock stops when the device has done
// the cell's work: otherwise it would time the dispatch of the ops.
import { defineMagic, UsageError } from "./registry";
import { formatTime } from "./format-time";
import { deviceWorkDone } from "../tfjs/webgpu/device-fence";

export const timeMagic = defineMagic({
  name: "time",
  kind: "both",
  usage: "%time STATEMENT   |   %%time (then the cell body)",
  help: `Time one execution of a statement or cell: CPU (user, sys) and wall time.
The statement's value is the cell's result, as without %time. On webgpu the time includes
the GPU finishing the work the code queued.`,
  async run(args, ctx, body) {
    const code = body ?? args;
    if (!code.trim()) throw new UsageError("%time: nothing to time", this.usage);
    await deviceWorkDone(); // work queued before the cell is not the cell's
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let result: { hasValue: boolean; value?: unknown } | undefined;
    try {
      result = await ctx.runCode(code);
      await deviceWorkDone();
    } finally {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const user = cpu.user / 1e6,
        sys = cpu.system / 1e6;
      ctx.print(
        `CPU times: user ${formatTime(user)}, sys: ${formatTime(sys)}, total: ${formatTime(user + sys)}\nWall time: ${formatTime(wall)}\n`,
      );
    }
    return result?.hasValue ? result.value : undefined;
  },
});
