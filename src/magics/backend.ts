// %backend: show the TensorFlow.js backend in use (and why), or switch to another.
import { defineMagic, parseMagicArgs } from "./registry";

defineMagic({
  name: "backend",
  kind: "line",
  usage: "%backend [NAME]",
  help: "Without NAME, the backend in use, why it was chosen, and what each probe found. With NAME (tensorflow, webgpu, wasm, cpu), switch to it: tensors made before the switch move on first use.",
  async run(args, ctx) {
    const { positionals } = parseMagicArgs(this, args, {});
    const backend = require("../toolkit/backend") as typeof import("../toolkit/backend");
    if (positionals.length > 1) throw new (require("./registry").UsageError)("%backend: takes at most one backend name", this.usage);
    const report = positionals[0] ? await backend.switchBackend(positionals[0]) : await backend.initBackend();
    ctx.print(backend.describeReport(report) + "\n");
  },
});
