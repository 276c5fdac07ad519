// %memit / %%memit: the tensor memory a statement or cell peaks at and keeps, printed as
// memory_profiler's %memit prints it ("peak memory: … MiB, increment: … MiB"), measured on
// TensorFlow.js buffers (the memory that runs out), with the process RSS after it.
import { defineMagic, UsageError } from "./registry";
import { tensorTracker } from "./inspect/tensor-tracker";
import { liveTensorCounts } from "../tfjs/internals";
import { mib, signedBytes, thousands } from "./inspect/format";
import { formatBytes } from "../display";

export const memitMagic = defineMagic({
  name: "memit",
  kind: "both",
  usage: "%memit STATEMENT   |   %%memit (then the cell body)",
  help: `Run a statement or cell once and print memory_profiler's line:
  peak memory: X MiB, increment: Y MiB
where peak is the most TensorFlow.js tensor memory held at any point while it ran and
increment is peak minus what was held before it started. A second line gives the
tensors and bytes it kept and the process RSS. The value of the statement is the result.`,
  async run(args, ctx, body) {
    const code = body ?? args;
    if (!code.trim()) throw new UsageError("%memit: nothing to measure", this.usage);
    tensorTracker.install();
    const { numBytes: startBytes, numTensors: startTensors } = liveTensorCounts();
    const rss0 = process.memoryUsage().rss;
    // Measure this run's own peak; %memory's peak since reset is kept.
    const peakBefore = tensorTracker.peakBytes;
    tensorTracker.peakBytes = startBytes;
    try {
      const result = await ctx.runCode(code);
      return result.hasValue ? result.value : undefined;
    } finally {
      const end = liveTensorCounts();
      const peak = Math.max(tensorTracker.peakBytes, end.numBytes);
      tensorTracker.peakBytes = Math.max(peakBefore, peak);
      const rss = process.memoryUsage().rss;
      const kept = end.numTensors - startTensors;
      ctx.print(
        `peak memory: ${mib(peak)} MiB, increment: ${mib(peak - startBytes)} MiB\n` +
          `kept: ${kept >= 0 ? "+" : ""}${thousands(kept)} tensors (${signedBytes(end.numBytes - startBytes, formatBytes)}); process RSS ${formatBytes(rss)} (${signedBytes(rss - rss0, formatBytes)})\n`,
      );
    }
  },
});
