// The live training view: a trainer's events drive one plotly figure per run, updated in
// place (update_display_data), with a progress line above it. Updates are throttled so a
// notebook is not flooded, but every epoch end and the end of the run always update, so
// the saved notebook keeps the final figure. Outside a notebook cell it only records.
import type { BatchEvent, EndEvent, EpochEvent, TrainerEvents } from "../train/events";
import { currentCellOutput, display, toMimeBundle, JUPYTER_DISPLAY, type PlotlyFigure } from "../../display";
import { pushNamed, saveRun, startRun, type RunRecord } from "./run-registry";
import { trainingFigure } from "./training-figure";
import { ProgressLine, progressText, summaryText, type ProgressState } from "./progress-line";

/** Anything that emits the trainer's events: a Trainer, or an emitter replaying them. */
export interface TrainingEventSource {
  on<K extends keyof TrainerEvents>(event: K, listener: (ev: TrainerEvents[K]) => void): unknown;
  off?<K extends keyof TrainerEvents>(event: K, listener: (ev: TrainerEvents[K]) => void): unknown;
}

export interface LiveTrainingViewOptions {
  /** Figure title; default the run's name. */
  title?: string;
  /** "batch" (default): redraw during epochs, throttled; "epoch": only at epoch ends. */
  every?: "batch" | "epoch";
  /** Name in the run registry (`%loss NAME`); default run1, run2... A second run of the same view gets `-2`. */
  runName?: string;
  /** Recorded with the run; the trainer's own numeric/string options are added when readable. */
  config?: Record<string, unknown>;
  /** Planned epochs, for `epoch 3/10` (read from the trainer when not given). */
  epochs?: number;
  /** Save each run as `<runsDir>/<name>.json` after every epoch and at the end. */
  runsDir?: string;
  /** Least time between two redraws inside an epoch (default 500 ms). */
  minIntervalMs?: number;
  /** false: record only, never display. */
  display?: boolean;
}

/** The trainer's plain options (numbers, strings, booleans): the part of its config worth recording. */
function trainerConfig(source: TrainingEventSource): { config: Record<string, unknown>; epochs?: number } {
  // Trainer keeps its options private; reading them here avoids asking every caller to repeat them.
  const opts = (source as unknown as { opts?: Record<string, unknown> }).opts;
  if (!opts || typeof opts !== "object") return { config: {} };
  const config = Object.fromEntries(
    Object.entries(opts).filter(([, v]) => v === null || ["number", "string", "boolean"].includes(typeof v)),
  );
  return { config, epochs: typeof opts.epochs === "number" ? opts.epochs : undefined };
}

interface Shown {
  figureId: string;
  progressId: string;
}

export class LiveTrainingView {
  /** Every run this view recorded, oldest first. */
  readonly runs: RunRecord[] = [];
  private current?: RunRecord;
  private shown?: Shown;
  private progress?: ProgressState;
  private lastDraw = 0;
  private readonly epochs?: number;
  private readonly config: Record<string, unknown>;
  private readonly listeners: { [K in keyof TrainerEvents]: (ev: TrainerEvents[K]) => void };

  constructor(
    private readonly source: TrainingEventSource,
    private readonly opts: LiveTrainingViewOptions = {},
  ) {
    const fromTrainer = trainerConfig(source);
    this.epochs = opts.epochs ?? fromTrainer.epochs;
    this.config = { ...fromTrainer.config, ...opts.config };
    this.listeners = { batch: (e) => this.onBatch(e), epoch: (e) => this.onEpoch(e), end: (e) => this.onEnd(e) };
    source.on("batch", this.listeners.batch);
    source.on("epoch", this.listeners.epoch);
    source.on("end", this.listeners.end);
  }

  /** The run being recorded now, or the last one. */
  get run(): RunRecord | undefined {
    return this.current ?? this.runs[this.runs.length - 1];
  }

  /** Stops listening to the trainer. */
  detach(): void {
    this.source.off?.("batch", this.listeners.batch);
    this.source.off?.("epoch", this.listeners.epoch);
    this.source.off?.("end", this.listeners.end);
  }

  /** The figure of the current (or last) run. */
  figure(): PlotlyFigure | undefined {
    const run = this.run;
    return run ? trainingFigure(run, { title: this.opts.title }) : undefined;
  }

  [JUPYTER_DISPLAY]() {
    const f = this.figure();
    return f ? toMimeBundle(f).data : { "text/plain": "<LiveTrainingView: no run yet>" };
  }

  private ensureRun(nb?: number): RunRecord {
    if (!this.current) {
      this.current = startRun({
        name: this.opts.runName,
        config: this.config,
        epochs: this.epochs,
        batchesPerEpoch: nb !== undefined && Number.isFinite(nb) ? nb : undefined,
      });
      this.runs.push(this.current);
      this.shown = undefined;
      this.progress = undefined;
      this.lastDraw = 0;
    }
    return this.current;
  }

  private onBatch(e: BatchEvent): void {
    const run = this.ensureRun(e.nb);
    const it = run.iterations;
    const rows = it.ni.length;
    it.ni.push(e.ni);
    it.x.push(Number.isFinite(e.nb) && e.nb > 0 ? e.epoch + (e.batch + 1) / e.nb : e.ni + 1);
    it.loss.push(e.loss);
    pushNamed(it.items, rows, e.items);
    e.lr.forEach((lr, g) => (it.lr[g] ??= new Array(rows).fill(NaN)).push(lr));
    for (const col of it.lr) if (col.length === rows) col.push(NaN);
    this.progress = {
      epoch: e.epoch,
      epochs: this.epochs,
      batch: e.batch,
      batches: e.nb,
      imgsPerSec: e.imgsPerSec,
      etaMs: e.etaMs,
      loss: e.loss,
      items: e.items,
    };
    const every = this.opts.every ?? "batch";
    if (every === "batch" && Date.now() - this.lastDraw >= (this.opts.minIntervalMs ?? 500)) this.draw();
  }

  private onEpoch(e: EpochEvent): void {
    const run = this.ensureRun();
    const ep = run.epochEnds;
    const rows = ep.epoch.length;
    ep.epoch.push(e.epoch);
    ep.trainLoss.push(e.trainLoss);
    ep.epochMs.push(e.epochMs);
    pushNamed(ep.items, rows, e.items);
    pushNamed(ep.metrics, rows, e.metrics);
    if (this.progress) this.progress.epoch = e.epoch;
    this.save(run);
    this.draw();
  }

  private onEnd(e: EndEvent): void {
    const run = this.ensureRun();
    run.status = e.error ? "failed" : e.aborted ? "aborted" : "done";
    run.endedAt = new Date().toISOString();
    if (e.error) run.error = `${e.error.name}: ${e.error.message}`;
    const ep = run.epochEnds;
    const last = ep.epoch.length - 1;
    const summary = summaryText({
      status: run.status,
      epochsCompleted: e.epochsCompleted,
      epochs: this.epochs,
      elapsedMs: e.elapsedMs,
      lastLoss: last >= 0 ? ep.trainLoss[last] : undefined,
      lastMetrics: last >= 0 ? Object.fromEntries(Object.entries(ep.metrics).map(([k, v]) => [k, v[last]])) : undefined,
      error: e.error?.message,
    });
    this.save(run);
    this.draw(summary);
    this.current = undefined;
  }

  private save(run: RunRecord): void {
    if (!this.opts.runsDir) return;
    try {
      saveRun(run, this.opts.runsDir);
    } catch (err) {
      // A full disk must not stop training; say so once in the run.
      run.error ??= `could not save run: ${(err as Error).message}`;
    }
  }

  /** Shows (first time) or updates the progress line and the figure in the running cell. */
  private draw(finalText?: string): void {
    const run = this.run;
    if (!run || this.opts.display === false || !currentCellOutput()) return;
    this.lastDraw = Date.now();
    const text = finalText ?? (this.progress ? progressText(this.progress) : "starting");
    const fig = trainingFigure(run, { title: this.opts.title });
    try {
      if (!this.shown) {
        this.shown = { figureId: `tfjs-lab-train-${run.id}`, progressId: `tfjs-lab-train-${run.id}-progress` };
        display(new ProgressLine(text, run.name), { displayId: this.shown.progressId });
        display(fig, { displayId: this.shown.figureId });
        return;
      }
      display(new ProgressLine(text, run.name), { displayId: this.shown.progressId, update: true });
      // The end of the run is the figure's final state: the full bundle (see display's `final`).
      display(fig, { displayId: this.shown.figureId, update: true, final: finalText !== undefined });
    } catch {
      // Display trouble (a closed front end) must not stop training: the run is still recorded.
    }
  }
}

/**
 * Shows a trainer's progress live in the notebook and records the run for `%loss`:
 * `lab.liveTrainingView(trainer, { runName: "lr-0.01", runsDir: "runs" }); await trainer.fit();`
 */
export function liveTrainingView(source: TrainingEventSource, opts: LiveTrainingViewOptions = {}): LiveTrainingView {
  return new LiveTrainingView(source, opts);
}
