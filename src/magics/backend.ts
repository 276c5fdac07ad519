// %backend: show the TensorFlow.js backend in use (and why), or switch to another.
import { defineMagic, parseMagicArgs, UsageError } from "./registry";

defineMagic({
  name: "backend",
  kind: "line",
  usage: "%backend [NAME]",
  help: "Without NAME, the backend in use, why it was chosen, and what each probe found. With NAME (tensorflow, webgpu, wasm, cpu), switch to it: tensors made before the switch move on first use.",
  async run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {});
    const backend = require("../tfjs") as typeof import("../tfjs");
    if (positionals.length > 1) throw new UsageError("%backend: takes at most one backend name", this.usage);
    let report: Awaited<ReturnType<typeof backend.initBackend>>;
    try {
      report = positionals[0] ? await backend.switchBackend(positionals[0]) : await backend.initBackend();
    } catch (e) {
      // An unknown or unusable backend name is a bad argument to the magic, not a kernel failure.
      throw new UsageError(`%backend: ${(e as Error).message}`, this.usage);
    }
    ctx.print(`${backend.describeReport(report)}\n`);
  },
});
