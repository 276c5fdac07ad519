// %loss: overlays the loss curves (or another curve) of this session's training runs, of
// runs saved on disk, and of YOLOv5 run folders (--yolo), in one figure, for reviewing
// experiments side by side.
import * as fs from "node:fs";
import * as path from "node:path";
import { defineMagic, parseMagicArgs, UsageError, type MagicContext } from "./registry";
import { loadRuns, sessionRuns, type RunRecord } from "../toolkit/viz/run-registry";
import { compareRunsFigure, comparableCurves, curvesFigure } from "../toolkit/viz/compare-runs";
import type { YoloRun } from "../toolkit/runs";

// Loaded only for --yolo: it brings arquero and js-yaml, which the kernel's start does not need.
const runsToolkit = () => require("../toolkit/runs") as typeof import("../toolkit/runs");

const looksLikePath = (s: string) => /[/*?[]/.test(s);

defineMagic({
  name: "loss",
  kind: "line",
  usage: "%loss [RUN ...] [--dir DIR] [--metric NAME] [--yolo PATTERN ...]",
  help: `Overlay the curves of earlier training runs in one figure.
RUN ...         runs by name (all runs when none is given). Runs are recorded by
                lab.liveTrainingView(trainer, { runName, runsDir }).
--dir DIR       also read the runs saved in DIR (*.json written with runsDir).
--metric NAME   the curve to compare: loss (default, per iteration), a loss part
                (box, obj, cls...) or a validation metric per epoch (mAP@0.5, top1...).
--yolo PATTERN  also draw YOLOv5 run folders (train.py's runs/train/exp*; * ? [...]
                in any segment, relative to the notebook's folder; repeat --yolo for
                more patterns). Their curves are per epoch from results.csv, each point
                at the end of its epoch (x = epoch + 1). Metric names work in either
                spelling: mAP_0.5 or mAP@0.5, box_loss or box, precision, lr0...
                A YOLOv5 run's loss is train/box_loss + obj_loss + cls_loss (its loss
                items); a session run's loss is what its loss function returned, which
                for lab's YOLOv5 loss is that sum times the batch size: compare the
                parts (box, obj, cls) for like with like.
Example: %loss --yolo runs/train/exp* --metric mAP_0.5`,
  run(args, ctx) {
    const { values, positionals } = parseMagicArgs(this, args, {
      dir: { type: "string" },
      metric: { type: "string" },
      yolo: { type: "string", multiple: true },
    });
    const dir = values.dir as string | undefined;
    const metric = (values.metric as string | undefined) ?? "loss";
    const yoloPatterns = (values.yolo as string[] | undefined) ?? [];
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
    if (!runs.length && !yoloPatterns.length) {
      ctx.print(
        dir !== undefined
          ? `No training runs in this session and none saved in ${dir}.\n`
          : "No training runs in this session yet. Record one with lab.liveTrainingView(trainer) before trainer.fit(), or compare saved runs with --dir DIR.\n",
      );
      return undefined;
    }
    if (positionals.length) {
      const byName = new Map(runs.map((r) => [r.name, r]));
      const unknown = positionals.filter((n) => !byName.has(n));
      if (unknown.length) {
        // A folder given without --yolo (or a second folder after one --yolo) lands here.
        const hint = unknown.some(looksLikePath)
          ? ` (for YOLOv5 run folders, put --yolo before each pattern: --yolo ${unknown.find(looksLikePath)})`
          : "";
        throw new UsageError(
          `%loss: unknown run${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")}. Known runs: ${[...byName.keys()].join(", ") || "(none)"}${hint}`,
          this.usage,
        );
      }
      runs = positionals.map((n) => byName.get(n)!);
    }
    if (yoloPatterns.length) return yoloFigure(this.usage, ctx, runs, yoloPatterns, metric);
    const curves = comparableCurves(runs);
    if (!curves.includes(metric))
      throw new UsageError(`%loss: no run has a curve named "${metric}". Curves: ${curves.join(", ")}`, this.usage);
    return compareRunsFigure(runs, metric);
  },
});

/** The session's runs and the YOLOv5 run folders in one figure; warnings and left-out runs are printed. */
function yoloFigure(usage: string, ctx: MagicContext, session: RunRecord[], patterns: string[], metric: string) {
  const { loadRuns: loadYoloRuns, collectCurves, NoMatchError } = runsToolkit();
  let folders: YoloRun[];
  try {
    folders = loadYoloRuns(patterns, { onWarning: (m) => ctx.print(`warning: ${m}\n`) });
  } catch (e) {
    if (e instanceof NoMatchError) throw new UsageError(`%loss: ${e.message}`, usage);
    throw e;
  }
  let found: ReturnType<typeof collectCurves>;
  try {
    found = collectCurves(folders, session, metric);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`%loss: ${e.message}`, usage);
    throw e;
  }
  if (found.without.length) ctx.print(`no ${metric} curve in: ${found.without.join(", ")}\n`);
  return curvesFigure(found.curves, metric);
}
