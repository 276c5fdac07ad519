import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { BatchEvent, EpochEvent, TrainerEvents, TypedEmitter } from "./events";
import { clipGradNorm, GradientAccumulator } from "./gradient-accumulator";
import { deviceMemory } from "./memory/device-memory";
import { accumulateFor, lrLambda, LrSchedule, scaledWeightDecay, warmupAccumulate, warmupIterations, warmupLr, warmupMomentum } from "./nominal-batch";
import { Adam } from "./optim/adam";
import { Optimizer } from "./optim/optimizer";
import { ParamKind, yoloParamGroups } from "./optim/param-groups";
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
  lr0?: number;          // 0.01 (YOLOv5 hyp.scratch-low)
  lrf?: number;          // 0.01: final lr = lr0 * lrf
  schedule?: LrSchedule; // "linear"
  momentum?: number;     // 0.937 (SGD momentum / Adam beta1)
  weightDecay?: number;  // 0.0005, scaled by batch * accumulate / nbs
  /** Nominal batch size (64); null disables accumulation, weight-decay scaling and warm-up. */
  nbs?: number | null;
  warmupEpochs?: number;   // 3
  warmupMomentum?: number; // 0.8
  warmupBiasLr?: number;   // 0.1
  minWarmupIterations?: number; // 100
  /** Gradient clipping by global norm (YOLOv5: 10); null for none. */
  clipGradNorm?: number | null;
  /** Classifies parameters into YOLOv5's groups; default by name and rank (see param-groups.ts). */
  paramKind?: (name: string, p: tf.Variable) => ParamKind;
  /** Called after each epoch (validation); its numbers go to the epoch event, run log and checkpoint. */
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

function disposeBatchTensors(batch: unknown): void {
  if (batch instanceof tf.Tensor) return batch.dispose();
  if (Array.isArray(batch)) return batch.forEach(disposeBatchTensors);
  if (batch && typeof batch === "object")
    for (const v of Object.values(batch)) if (v instanceof tf.Tensor || Array.isArray(v)) disposeBatchTensors(v);
}

/** One epoch's batches: a DataLoader is asked for that epoch's order (its shuffle is drawn from (seed, epoch)), so a resumed run sees the same batches. */
function epochBatches<B>(data: TrainerOptions<B>["data"], epoch: number): AsyncIterable<B> | Iterable<B> {
  const loader = data as { iterate?: (opts: { epoch: number }) => AsyncIterable<B> };
  return typeof loader.iterate === "function" ? loader.iterate({ epoch }) : data;
}

function defaultForward(model: Module, batch: unknown): unknown {
  const images = (batch as { images?: tf.Tensor }).images;
  if (!(images instanceof tf.Tensor)) throw new TypeError("batch has no `images` tensor: pass `forward: (model, batch) => ...` to the trainer");
  return model.forward(images);
}

/**
 * A training loop with YOLOv5's semantics (train.py): nominal-batch gradient accumulation,
 * weight-decay scaling, warm-up of accumulation/lr/momentum, per-epoch lr schedule, three
 * parameter groups, gradient clipping. Each micro-batch runs as a measured memory phase
 * ("train") under the memory budget; events feed live plots; epochs go to a JSONL run log
 * and atomic checkpoints. Abort with `signal`: the loop stops between steps (or at the next
 * kernel inside a long step), frees the step's tensors and leaves the model usable.
 */
export class Trainer<B = { images: tf.Tensor }> extends TypedEmitter<TrainerEvents> {
  readonly optimizer: Optimizer;
  readonly accumulate: number;
  readonly weightDecay: number;
  private readonly opts: TrainerOptions<B>;

  constructor(opts: TrainerOptions<B>) {
    super();
    this.opts = opts;
    const nbs = opts.nbs === undefined ? 64 : opts.nbs;
    const bs = opts.batchSize;
    this.accumulate = nbs && bs ? accumulateFor(bs, nbs) : 1;
    const wd = opts.weightDecay ?? 0.0005;
    this.weightDecay = nbs && bs ? scaledWeightDecay(wd, bs, this.accumulate, nbs) : wd;
    const groups = yoloParamGroups(opts.model.namedParameters(), {
      lr: opts.lr0 ?? 0.01, momentum: opts.momentum ?? 0.937, weightDecay: this.weightDecay, classify: opts.paramKind,
    });
    const kind = opts.optimizer ?? "SGD";
    this.optimizer = kind === "SGD" ? new SGD(groups, { nesterov: true }) : new Adam(groups, { decoupled: kind === "AdamW" });
  }

  /** Frees the optimizer's state. The model is the caller's. */
  dispose(): void {
    this.optimizer.dispose();
  }

  async fit(): Promise<TrainResult> {
    const o = this.opts;
    const model = o.model;
    const nbs = o.nbs === undefined ? 64 : o.nbs;
    const epochs = o.epochs;
    const lf = lrLambda(o.schedule ?? "linear", epochs, o.lrf ?? 0.01);
    const groups = this.optimizer.paramGroups;
    const params = groups.flatMap((g) => g.params);
    // Gradients are keyed by tf variable name, which differs between model instances; checkpoints use parameter names.
    const paramNameOf = new Map(groups.flatMap((g) => g.params.map((p, i) => [p.name, g.paramNames[i]] as const)));
    const variableNameOf = new Map([...paramNameOf].map(([v, n]) => [n, v]));
    const renamed = (m: Record<string, tf.Tensor>, names: Map<string, string>) =>
      Object.fromEntries(Object.entries(m).map(([k, t]) => [names.get(k) ?? k, t]));
    const nb = o.data.length ?? NaN;
    const nw = nbs ? warmupIterations(o.warmupEpochs ?? 3, Number.isFinite(nb) ? nb : 0, o.minWarmupIterations ?? 100) : 0;
    const targetMomentum = o.momentum ?? 0.937;
    const accumulator = new GradientAccumulator();
    const history: EpochEvent[] = [];
    const t0 = Date.now();
    let startEpoch = 0;
    let best = -Infinity;
    let lastOptStep = -1;
    let aborted = false;
    let error: Error | undefined;

    if (o.resume) {
      const info = loadCheckpoint(o.resume, model, { optimizer: this.optimizer });
      startEpoch = info.epoch + 1;
      // Everything that decides what is saved next, so a resumed run writes what one run would.
      if (info.trainer) {
        best = info.trainer.best;
        lastOptStep = info.trainer.lastOptStep;
        accumulator.add(renamed(info.trainer.accumulated, variableNameOf));
      }
    }
    const totalSteps = Number.isFinite(nb) ? nb * (epochs - startEpoch) : NaN;
    let stepsDone = 0;
    // The caller's signal, or the kernel cell's: an interrupt stops the loop between steps.
    const signal = interruptSignal(o.signal);

    try {
      for (let epoch = startEpoch; epoch < epochs && !aborted; epoch++) {
        model.train();
        for (const g of groups) g.lr = g.initialLr * lf(epoch); // LambdaLR at this epoch
        const te = Date.now();
        let lossSum = 0, count = 0, peakBytes = 0;
        const itemSums: Record<string, number> = {};
        let i = 0;
        for await (const batch of epochBatches(o.data, epoch)) {
          pollInterrupt();
          if (signal?.aborted) {
            if (o.disposeBatch ?? true) disposeBatchTensors(batch);
            aborted = true;
            break;
          }
          const ni = i + (Number.isFinite(nb) ? nb : 0) * epoch;
          const bs = o.batchSize ?? ((batch as { images?: tf.Tensor }).images?.shape[0] ?? 1);
          let accumulate = nbs ? accumulateFor(bs, nbs) : 1;
          if (nbs && ni <= nw) {
            accumulate = warmupAccumulate(ni, nw, nbs, bs);
            groups.forEach((g, j) => {
              g.lr = warmupLr(ni, nw, j === 0, o.warmupBiasLr ?? 0.1, g.initialLr * lf(epoch));
              g.momentum = warmupMomentum(ni, nw, o.warmupMomentum ?? 0.8, targetMomentum);
            });
          }
          const ts = Date.now();
          let loss = NaN, stepped = false;
          const items: Record<string, number> = {};
          let memory;
          try {
            ({ memory } = await deviceMemory.measure("train", async (phase) => {
              let kept: Record<string, tf.Tensor> = {};
              let value: tf.Scalar, grads: tf.NamedTensorMap;
              try {
                // In a tidy: tfjs leaves the loss tensor alive when the backward pass throws (an interrupt, OOM).
                ({ value, grads } = tf.tidy(() => tf.variableGrads(() => {
                  const r = o.loss((o.forward ?? defaultForward)(model, batch), batch);
                  if (r instanceof tf.Tensor) return r;
                  if (r.items) kept = Object.fromEntries(Object.entries(r.items).map(([k, t]) => [k, tf.keep(t)]));
                  return r.loss;
                }, params)));
              } catch (e) {
                tf.dispose(Object.values(kept));
                throw e;
              }
              loss = (await value.data())[0];
              value.dispose();
              for (const [k, t] of Object.entries(kept)) {
                const d = await t.data();
                if (d.length === 1) items[k] = d[0];
                else d.forEach((x, n) => (items[`${k}${n}`] = x));
                t.dispose();
              }
              accumulator.add(grads as Record<string, tf.Tensor>);
              if (ni - lastOptStep >= accumulate) {
                phase.signal = undefined; // the update itself is not interrupted: all parameters move, or none
                const summed = accumulator.take();
                try {
                  if (o.clipGradNorm !== null) clipGradNorm(summed, o.clipGradNorm ?? 10);
                  this.optimizer.step(summed);
                } finally {
                  for (const g of Object.values(summed)) g.dispose();
                }
                lastOptStep = ni;
                stepped = true;
              }
            }, signal));
          } catch (e) {
            accumulator.clear();
            if ((e as Error).name === "AbortError" || (signal?.aborted && e === signal.reason)) {
              aborted = true;
              break;
            }
            throw e;
          } finally {
            if (o.disposeBatch ?? true) disposeBatchTensors(batch);
          }
          stepsDone++;
          count++;
          lossSum += loss;
          for (const [k, v] of Object.entries(items)) itemSums[k] = (itemSums[k] ?? 0) + v;
          peakBytes = Math.max(peakBytes, memory.peakBytes);
          const now = Date.now();
          const ev: BatchEvent = {
            epoch, batch: i, nb, ni, loss, items, lr: groups.map((g) => g.lr), momentum: groups[0]?.momentum ?? 0,
            accumulate, optimizerStep: stepped, imgsPerSec: bs / Math.max(1e-3, (now - ts) / 1000),
            elapsedMs: now - t0, etaMs: ((now - t0) / stepsDone) * (totalSteps - stepsDone), memory,
          };
          this.emit("batch", ev);
          i++;
          // One event-loop turn per step: output (live charts) is sent and signal handlers run
          // even when data and steps resolve as microtasks.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (aborted) break;
        const metrics = o.validate ? await o.validate({ epoch, model }) : {};
        model.train();
        const trainLoss = lossSum / Math.max(1, count);
        const epochEv: EpochEvent = {
          epoch, trainLoss, items: Object.fromEntries(Object.entries(itemSums).map(([k, v]) => [k, v / Math.max(1, count)])),
          metrics, lr: groups.map((g) => g.lr), epochMs: Date.now() - te, peakBytes, reservedBytes: deviceMemory.stats().reserved,
        };
        history.push(epochEv);
        if (o.runLog) appendRunLog(o.runLog, { ...epochEv, time: new Date().toISOString() });
        if (o.checkpointDir) {
          const meta = { metrics, trainLoss };
          const fit = o.fitness ? o.fitness(metrics, trainLoss) : -trainLoss;
          const improved = fit > best;
          if (improved) best = fit;
          // The summed gradients not yet applied are saved too; take() hands them over, add() puts them back.
          const accumulated = accumulator.take();
          try {
            const state = { optimizer: this.optimizer, epoch, meta, trainer: { best, lastOptStep, accumulated: renamed(accumulated, paramNameOf) } };
            await saveCheckpoint(path.join(o.checkpointDir, "last.ckpt"), model, state);
            if (improved) await saveCheckpoint(path.join(o.checkpointDir, "best.ckpt"), model, state);
          } finally {
            accumulator.add(accumulated);
          }
        }
        this.emit("epoch", epochEv);
      }
    } catch (e) {
      error = e as Error;
      throw e;
    } finally {
      accumulator.clear();
      this.emit("end", { epochsCompleted: history.length, aborted, elapsedMs: Date.now() - t0, error });
    }
    return { epochs: history, aborted };
  }
}
