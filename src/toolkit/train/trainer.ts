import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { type BatchEvent, type EpochEvent, type TrainerEvents, TypedEmitter } from "./events";
import { clipGradNorm, GradientAccumulator } from "./gradient-accumulator";
import { disposeBatchTensors } from "./batch-tensors";
import { type Hyp, MIN_WARMUP_ITERATIONS, NOMINAL_BATCH_SIZE, resolveHyp } from "./hyp";
import { LoopLocals } from "./loop-locals";
import { deviceMemory, type PhaseMemory } from "./memory/device-memory";
import { ModelEMA, type ModelEMAOptions } from "./model-ema";
import {
  accumulateFor,
  lrLambda,
  type LrSchedule,
  scaledWeightDecay,
  warmupAccumulate,
  warmupIterations,
  warmupLr,
  warmupMomentum,
} from "./nominal-batch";
import { Adam } from "./optim/adam";
import type { Optimizer } from "./optim/optimizer";
import { type ParamKind, yoloParamGroups } from "./optim/param-groups";
import { SGD } from "./optim/sgd";
import { appendRunLog } from "./run-log";
import { interruptSignal, pollInterrupt } from "../interrupt";

/** What a loss function returns: the scalar to minimise, optionally with named parts to log. */
export type LossResult = tf.Scalar | { loss: tf.Scalar; items?: Record<string, tf.Tensor> };

export interface TrainerOptions<B> {
  model: Module;
  /** Batches: a DataLoader or any (async) iterable; `length` (batches per epoch) enables warm-up length and ETA. */
  data: (AsyncIterable<B> | Iterable<B>) & { length?: number };
  /** (model outputs, batch) -> loss. Runs inside the gradient tape. */
  loss: (output: unknown, batch: B) => LossResult;
  /** (model, batch) -> outputs; default `model.forward(batch.images)`. */
  forward?: (model: Module, batch: B) => unknown;
  epochs: number;
  /** Images per micro-batch; default: first dimension of `batch.images`. */
  batchSize?: number;
  optimizer?: "SGD" | "Adam" | "AdamW";
  /**
   * YOLOv5's hyper-parameters by their hyp.yaml names (a run's `hyp` as `lab.runs` reads it);
   * HYP_DEFAULTS (hyp.ts, hyp.scratch-low.yaml) for the rest. The trainer uses lr0, lrf,
   * momentum, weight_decay and the warm-up rows.
   */
  hyp?: Partial<Hyp>;
  /** The same hyps by the trainer's own names (HYP_OPTION_NAMES in hyp.ts maps each to its hyp). */
  lr0?: number;
  lrf?: number;
  momentum?: number;
  weightDecay?: number;
  warmupEpochs?: number;
  warmupMomentum?: number;
  warmupBiasLr?: number;
  /** The per-epoch lr factor: train.py's linear one, or "cosine" (`--cos-lr`, one_cycle). */
  schedule?: LrSchedule;
  /** Nominal batch size (train.py's constant NOMINAL_BATCH_SIZE); null disables accumulation, weight-decay scaling and warm-up. */
  nbs?: number | null;
  /** Floor on the warm-up length in iterations (train.py's MIN_WARMUP_ITERATIONS). */
  minWarmupIterations?: number;
  /** Gradient clipping by global norm (train.py: 10); null for none. */
  clipGradNorm?: number | null;
  /**
   * Keep YOLOv5's ModelEMA of the weights, updated after each optimizer step and validated
   * instead of the model (train.py: `ema = ModelEMA(model)`, `val.run(model=ema.ema)`).
   * Checkpoints hold its weights and update count; resuming from one without them starts the
   * EMA again from the resumed weights.
   */
  ema?: boolean | Omit<ModelEMAOptions, "updates">;
  /** Keep what train.py's loop keeps alive through validation (loop-locals.ts), until `dispose()`. */
  keepLoopLocals?: boolean;
  /** Classifies parameters into YOLOv5's groups; default by name and rank (see param-groups.ts). */
  paramKind?: (name: string, p: tf.Variable) => ParamKind;
  /** Called after each epoch (validation) with the model to validate (the EMA's when `ema`); its numbers go to the epoch event, run log and checkpoint. */
  validate?: (ctx: { epoch: number; model: Module }) => Record<string, number> | Promise<Record<string, number>>;
  signal?: AbortSignal;
  /** JSONL file, one record per epoch, fsync'd. */
  runLog?: string;
  /** Directory for `last.ckpt` (each epoch) and `best.ckpt` (highest `fitness`). */
  checkpointDir?: string;
  fitness?: (metrics: Record<string, number>, trainLoss: number) => number;
  /** Checkpoint to resume from (weights, optimizer, epoch). */
  resume?: string;
  /** Dispose the tensors of each batch after its step (default true). */
  disposeBatch?: boolean;
}

export interface TrainResult {
  epochs: EpochEvent[];
  aborted: boolean;
}

/** One epoch's batches: a DataLoader is asked for that epoch's order (its shuffle is drawn from (seed, epoch)), so a resumed run sees the same batches. */
function epochBatches<B>(data: TrainerOptions<B>["data"], epoch: number): AsyncIterable<B> | Iterable<B> {
  const loader = data as { iterate?: (opts: { epoch: number }) => AsyncIterable<B> };
  return typeof loader.iterate === "function" ? loader.iterate({ epoch }) : data;
}

function defaultForward(model: Module, batch: unknown): unknown {
  const images = (batch as { images?: tf.Tensor }).images;
  if (!(images instanceof tf.Tensor))
    throw new TypeError("batch has no `images` tensor: pass `forward: (model, batch) => ...` to the trainer");
  return model.forward(images);
}

const renamed = (m: Record<string, tf.Tensor>, names: Map<string, string>) =>
  Object.fromEntries(Object.entries(m).map(([k, t]) => [names.get(k) ?? k, t]));

/** What one `fit()` carries from step to step and epoch to epoch. */
interface RunState {
  /** LambdaLR's factor per epoch. */
  lf: (epoch: number) => number;
  /** Batches per epoch (NaN when the data has no length) and warm-up iterations. */
  nb: number;
  nw: number;
  params: tf.Variable[];
  /** Gradients are keyed by tf variable name, which differs between model instances; checkpoints use parameter names. */
  paramNameOf: Map<string, string>;
  accumulator: GradientAccumulator;
  signal: AbortSignal | undefined;
  startEpoch: number;
  best: number;
  lastOptStep: number;
  t0: number;
  stepsDone: number;
  totalSteps: number;
  history: EpochEvent[];
  aborted: boolean;
}

/** One epoch's running sums, for its EpochEvent. */
interface EpochSums {
  te: number;
  lossSum: number;
  count: number;
  peakBytes: number;
  itemSums: Record<string, number>;
}

/** What one micro-batch's step measured. */
interface StepResult {
  loss: number;
  items: Record<string, number>;
  stepped: boolean;
  memory: PhaseMemory;
}

/**
 * A training loop with YOLOv5's semantics (train.py): nominal-batch gradient accumulation,
 * weight-decay scaling, warm-up of accumulation/lr/momentum, per-epoch lr schedule, three
 * parameter groups, gradient clipping, and optionally ModelEMA; hyper-parameters from one hyp
 * table (hyp.ts). Each micro-batch runs as a measured memory phase ("train") under the memory
 * budget; events feed live plots; epochs go to a JSONL run log and atomic checkpoints. Abort
 * with `signal`: the loop stops between steps (or at the next kernel inside a long step),
 * frees the step's tensors and leaves the model usable.
 *
 * `fit()` is train.py's loop in named steps: `warmup` (per iteration), `step` (forward,
 * loss, backward, accumulate, optimizer step), `endEpoch` (validate, log, checkpoint).
 */
export class Trainer<B = { images: tf.Tensor }> extends TypedEmitter<TrainerEvents> {
  readonly optimizer: Optimizer;
  /** The hyp table this trainer runs with: HYP_DEFAULTS, `hyp` and the camelCase options. */
  readonly hyp: Hyp;
  /** Nominal batch size, or null without accumulation. */
  readonly nbs: number | null;
  readonly accumulate: number;
  readonly weightDecay: number;
  /** The moving average of the weights, when `ema` is set. */
  readonly ema: ModelEMA | undefined;
  private readonly locals: LoopLocals | undefined;
  // Read by the live training view as the run's recorded config: keep it the options as given.
  private readonly opts: TrainerOptions<B>;

  constructor(opts: TrainerOptions<B>) {
    super();
    this.opts = opts;
    this.hyp = resolveHyp(opts.hyp, opts);
    this.nbs = opts.nbs === undefined ? NOMINAL_BATCH_SIZE : opts.nbs;
    const nbs = this.nbs,
      bs = opts.batchSize;
    this.accumulate = nbs && bs ? accumulateFor(bs, nbs) : 1;
    const wd = this.hyp.weight_decay;
    this.weightDecay = nbs && bs ? scaledWeightDecay(wd, bs, this.accumulate, nbs) : wd;
    const groups = yoloParamGroups(opts.model.namedParameters(), {
      lr: this.hyp.lr0,
      momentum: this.hyp.momentum,
      weightDecay: this.weightDecay,
      classify: opts.paramKind,
    });
    const kind = opts.optimizer ?? "SGD";
    this.optimizer = kind === "SGD" ? new SGD(groups, { nesterov: true }) : new Adam(groups, { decoupled: kind === "AdamW" });
    this.ema = opts.ema ? new ModelEMA(opts.model, opts.ema === true ? {} : opts.ema) : undefined;
    this.locals = opts.keepLoopLocals ? new LoopLocals() : undefined;
  }

  /** Frees the optimizer's state, the EMA and the kept loop locals. The model is the caller's. */
  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
    this.locals?.dispose();
  }

  async fit(): Promise<TrainResult> {
    const run = this.beginRun();
    let error: Error | undefined;
    try {
      for (let epoch = run.startEpoch; epoch < this.opts.epochs && !run.aborted; epoch++) {
        const sums = await this.trainEpoch(run, epoch);
        if (run.aborted) break;
        await this.endEpoch(run, epoch, sums);
      }
    } catch (e) {
      error = e as Error;
      throw e;
    } finally {
      run.accumulator.clear();
      this.emit("end", { epochsCompleted: run.history.length, aborted: run.aborted, elapsedMs: Date.now() - run.t0, error });
    }
    return { epochs: run.history, aborted: run.aborted };
  }

  /** The run's counters, from a checkpoint when resuming. */
  private beginRun(): RunState {
    const o = this.opts;
    const groups = this.optimizer.paramGroups;
    const nb = o.data.length ?? NaN;
    const run: RunState = {
      lf: lrLambda(o.schedule ?? "linear", o.epochs, this.hyp.lrf),
      nb,
      nw: this.nbs
        ? warmupIterations(this.hyp.warmup_epochs, Number.isFinite(nb) ? nb : 0, o.minWarmupIterations ?? MIN_WARMUP_ITERATIONS)
        : 0,
      params: groups.flatMap((g) => g.params),
      paramNameOf: new Map(groups.flatMap((g) => g.params.map((p, i) => [p.name, g.paramNames[i]] as const))),
      accumulator: new GradientAccumulator(),
      // The caller's signal, or the kernel cell's: an interrupt stops the loop between steps.
      signal: interruptSignal(o.signal),
      startEpoch: 0,
      best: -Infinity,
      lastOptStep: -1,
      t0: Date.now(),
      stepsDone: 0,
      totalSteps: NaN,
      history: [],
      aborted: false,
    };
    if (o.resume) {
      const info = loadCheckpoint(o.resume, o.model, { optimizer: this.optimizer, ema: this.ema });
      if (this.ema && !info.ema) this.ema.restart(); // the copy was made before the resumed weights were loaded
      run.startEpoch = info.epoch + 1;
      // Everything that decides what is saved next, so a resumed run writes what one run would.
      if (info.trainer) {
        run.best = info.trainer.best;
        run.lastOptStep = info.trainer.lastOptStep;
        const variableNameOf = new Map([...run.paramNameOf].map(([v, n]) => [n, v]));
        run.accumulator.add(renamed(info.trainer.accumulated, variableNameOf));
      }
    }
    run.totalSteps = Number.isFinite(nb) ? nb * (o.epochs - run.startEpoch) : NaN;
    return run;
  }

  /** One epoch of steps; sets `run.aborted` when the signal stops it. */
  private async trainEpoch(run: RunState, epoch: number): Promise<EpochSums> {
    const o = this.opts;
    const groups = this.optimizer.paramGroups;
    o.model.train();
    for (const g of groups) g.lr = g.initialLr * run.lf(epoch); // LambdaLR at this epoch
    const sums: EpochSums = { te: Date.now(), lossSum: 0, count: 0, peakBytes: 0, itemSums: {} };
    let i = 0;
    for await (const batch of epochBatches(o.data, epoch)) {
      this.locals?.batchArrived(batch);
      pollInterrupt();
      if (run.signal?.aborted) {
        this.releaseBatch(batch);
        run.aborted = true;
        break;
      }
      const ni = i + (Number.isFinite(run.nb) ? run.nb : 0) * epoch;
      const bs = o.batchSize ?? (batch as { images?: tf.Tensor }).images?.shape[0] ?? 1;
      const accumulate = this.warmup(run, ni, bs, epoch);
      const ts = Date.now();
      let r: StepResult;
      try {
        r = await this.step(run, batch, ni, accumulate);
      } catch (e) {
        run.accumulator.clear();
        if ((e as Error).name === "AbortError" || (run.signal?.aborted && e === run.signal.reason)) {
          run.aborted = true;
          break;
        }
        throw e;
      } finally {
        this.releaseBatch(batch);
      }
      // After the step's measured phase, as train.py updates the EMA right after optimizer.step().
      if (r.stepped) this.ema?.update();
      run.stepsDone++;
      sums.count++;
      sums.lossSum += r.loss;
      for (const [k, v] of Object.entries(r.items)) sums.itemSums[k] = (sums.itemSums[k] ?? 0) + v;
      sums.peakBytes = Math.max(sums.peakBytes, r.memory.peakBytes);
      const now = Date.now();
      const ev: BatchEvent = {
        epoch,
        batch: i,
        nb: run.nb,
        ni,
        loss: r.loss,
        items: r.items,
        lr: groups.map((g) => g.lr),
        momentum: groups[0]?.momentum ?? 0,
        accumulate,
        optimizerStep: r.stepped,
        imgsPerSec: bs / Math.max(1e-3, (now - ts) / 1000),
        elapsedMs: now - run.t0,
        etaMs: ((now - run.t0) / run.stepsDone) * (run.totalSteps - run.stepsDone),
        memory: r.memory,
      };
      this.emit("batch", ev);
      i++;
      // One event-loop turn per step: output (live charts) is sent and signal handlers run
      // even when data and steps resolve as microtasks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return sums;
  }

  /**
   * train.py's warm-up at iteration `ni`: while `ni <= nw` the accumulation ramps up to
   * nbs / batch size, the bias group's lr comes down from warmup_bias_lr and the others'
   * rise from 0 to this epoch's lr, and momentum rises from warmup_momentum. Returns the
   * micro-batches per optimizer step.
   */
  private warmup(run: RunState, ni: number, bs: number, epoch: number): number {
    const nbs = this.nbs;
    if (!nbs) return 1;
    if (ni > run.nw) return accumulateFor(bs, nbs);
    this.optimizer.paramGroups.forEach((g, j) => {
      g.lr = warmupLr(ni, run.nw, j === 0, this.hyp.warmup_bias_lr, g.initialLr * run.lf(epoch));
      g.momentum = warmupMomentum(ni, run.nw, this.hyp.warmup_momentum, this.hyp.momentum);
    });
    return warmupAccumulate(ni, run.nw, nbs, bs);
  }

  /**
   * One micro-batch, measured as the memory phase "train": forward and loss under the
   * gradient tape, gradients added to the accumulator, and an optimizer step (clipped) once
   * `accumulate` micro-batches have been summed since the last one.
   */
  private async step(run: RunState, batch: B, ni: number, accumulate: number): Promise<StepResult> {
    let loss = NaN,
      stepped = false;
    const items: Record<string, number> = {};
    const { memory } = await deviceMemory.measure(
      "train",
      async (phase) => {
        const { value, grads, kept } = this.lossAndGradients(batch, run.params);
        loss = (await value.data())[0];
        value.dispose();
        for (const [k, t] of Object.entries(kept)) {
          const d = await t.data();
          if (d.length === 1) items[k] = d[0];
          else d.forEach((x, n) => (items[`${k}${n}`] = x));
          t.dispose();
        }
        run.accumulator.add(grads as Record<string, tf.Tensor>);
        if (ni - run.lastOptStep >= accumulate) {
          phase.signal = undefined; // the update itself is not interrupted: all parameters move, or none
          this.optimizerStep(run.accumulator.take());
          run.lastOptStep = ni;
          stepped = true;
        }
      },
      run.signal,
    );
    return { loss, items, stepped, memory };
  }

  /** The loss, its named parts (kept past the tape) and the gradients of `params`. */
  private lossAndGradients(
    batch: B,
    params: tf.Variable[],
  ): { value: tf.Scalar; grads: tf.NamedTensorMap; kept: Record<string, tf.Tensor> } {
    const o = this.opts;
    let kept: Record<string, tf.Tensor> = {};
    try {
      // In a tidy: tfjs leaves the loss tensor alive when the backward pass throws (an interrupt, OOM).
      const { value, grads } = tf.tidy(() =>
        tf.variableGrads(() => {
          const output = (o.forward ?? defaultForward)(o.model, batch);
          this.locals?.predicted(output);
          const r = o.loss(output, batch);
          const scalar = r instanceof tf.Tensor ? r : r.loss;
          const parts = r instanceof tf.Tensor ? {} : (r.items ?? {});
          this.locals?.lossComputed(scalar, Object.values(parts));
          kept = Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, tf.keep(t)]));
          return scalar;
        }, params),
      );
      return { value, grads, kept };
    } catch (e) {
      tf.dispose(Object.values(kept));
      throw e;
    }
  }

  /** Clips the summed gradients and applies them; they are freed either way. */
  private optimizerStep(summed: Record<string, tf.Tensor>): void {
    try {
      if (this.opts.clipGradNorm !== null) clipGradNorm(summed, this.opts.clipGradNorm ?? 10);
      this.optimizer.step(summed);
    } finally {
      for (const g of Object.values(summed)) g.dispose();
    }
  }

  /** After a step: the batch's tensors go, unless the loop locals own them or the caller keeps them. */
  private releaseBatch(batch: B): void {
    if (!this.locals && (this.opts.disposeBatch ?? true)) disposeBatchTensors(batch);
  }

  /** train.py's end of epoch: validate (the EMA when there is one), log the epoch, save last/best checkpoints. */
  private async endEpoch(run: RunState, epoch: number, sums: EpochSums): Promise<void> {
    const o = this.opts;
    const groups = this.optimizer.paramGroups;
    const metrics = o.validate ? await o.validate({ epoch, model: this.ema?.ema ?? o.model }) : {};
    o.model.train();
    const trainLoss = sums.lossSum / Math.max(1, sums.count);
    const epochEv: EpochEvent = {
      epoch,
      trainLoss,
      items: Object.fromEntries(Object.entries(sums.itemSums).map(([k, v]) => [k, v / Math.max(1, sums.count)])),
      metrics,
      lr: groups.map((g) => g.lr),
      epochMs: Date.now() - sums.te,
      peakBytes: sums.peakBytes,
      reservedBytes: deviceMemory.stats().reserved,
    };
    run.history.push(epochEv);
    if (o.runLog) appendRunLog(o.runLog, { ...epochEv, time: new Date().toISOString() });
    if (o.checkpointDir) await this.saveCheckpoints(run, o.checkpointDir, epoch, metrics, trainLoss);
    this.emit("epoch", epochEv);
  }

  /** last.ckpt every epoch, best.ckpt when `fitness` improved; with the summed gradients not yet applied. */
  private async saveCheckpoints(
    run: RunState,
    dir: string,
    epoch: number,
    metrics: Record<string, number>,
    trainLoss: number,
  ): Promise<void> {
    const fit = this.opts.fitness ? this.opts.fitness(metrics, trainLoss) : -trainLoss;
    const improved = fit > run.best;
    if (improved) run.best = fit;
    // take() hands the sums over, add() puts them back.
    const accumulated = run.accumulator.take();
    try {
      const state = {
        optimizer: this.optimizer,
        ema: this.ema,
        epoch,
        meta: { metrics, trainLoss },
        trainer: { best: run.best, lastOptStep: run.lastOptStep, accumulated: renamed(accumulated, run.paramNameOf) },
      };
      await saveCheckpoint(path.join(dir, "last.ckpt"), this.opts.model, state);
      if (improved) await saveCheckpoint(path.join(dir, "best.ckpt"), this.opts.model, state);
    } finally {
      run.accumulator.add(accumulated);
    }
  }
}
