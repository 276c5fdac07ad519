// %loss: overlays the loss curves (or another curve) of this session's training runs and of
// runs saved on disk, in one figure, for reviewing experiments side by side.
import * as fs from "node:fs";
import * as path from "node:path";
import { defineMagic, parseMagicArgs, UsageError } from "./registry";
import { loadRuns, sessionRuns, type RunRecord } from "../toolkit/viz/run-registry";
import { compareRunsFigure, comparableCurves } from "../toolkit/viz/compare-runs";

defineMagic({
  name: "loss",
  kind: "line",
  usage: "%loss [RUN ...] [--dir DIR] [--metric NAME]",
  help: `Overlay the curves of earlier training runs in one figure.
RUN ...        runs by name (all runs when none is given). Runs are recorded by
               lab.liveTrainingView(trainer, { runName, runsDir }).
--dir DIR      also read the runs saved in DIR (*.json written with runsDir).
--metric NAME  the curve to compare: loss (default, per iteration), a loss part
               (box, obj, cls...) or a validation metric per epoch (mAP@0.5, top1...).`,
  run(args, ctx) {
    const { values, positionals } = parseMagicArgs(this, args, { dir: { type: "string" }, metric: { type: "string" } });
    const dir = values.dir as string | undefined;
    const metric = (values.metric as string | undefined) ?? "loss";
    let runs: RunRecord[] = sessionRuns();
    if (dir !== undefined) {
      const abs = path.resolve(dir);
      if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new UsageError(`%loss: no such directory: ${dir}`, this.usage);
      // A run this session saved is the same run as the one in memory: keep the one in memory.
      const ids = new Set(runs.map((r) => r.id));
      const onDisk = loadRuns(abs).filter((r) => !ids.has(r.id));
      const names = new Set(runs.map((r) => r.name));
      runs = [...runs, ...onDisk.map((r) => (names.has(r.name) ? { ...r, name: `${r.name} (${path.basename(r.file ?? dir)})` } : r))];
    }
    if (!runs.length) {
      ctx.print(dir !== undefined
        ? `No training runs in this session and none saved in ${dir}.\n`
        : "No training runs in this session yet. Record one with lab.liveTrainingView(trainer) before trainer.fit(), or compare saved runs with --dir DIR.\n");
      return undefined;
    }
    if (positionals.length) {
      const byName = new Map(runs.map((r) => [r.name, r]));
      const unknown = positionals.filter((n) => !byName.has(n));
      if (unknown.length) {
        throw new UsageError(`%loss: unknown run${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")}. Known runs: ${[...byName.keys()].join(", ")}`, this.usage);
      }
      runs = positionals.map((n) => byName.get(n)!);
    }
    const curves = comparableCurves(runs);
    if (!curves.includes(metric)) throw new UsageError(`%loss: no run has a curve named "${metric}". Curves: ${curves.join(", ")}`, this.usage);
    return compareRunsFigure(runs, metric);
  },
});
