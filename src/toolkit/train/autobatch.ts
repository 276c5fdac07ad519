import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { deviceMemory } from "./memory/device-memory";

const GiB = 1 << 30;

/** Memory one batch size needs: the reserved bytes after forward+backward (what YOLOv5 profiles). */
export type BatchProfiler = (batchSize: number) => Promise<number>;

export interface AutoBatchOptions {
  imgsz?: number; // 640
  fraction?: number; // 0.8 of the device memory
  batchSize?: number; // 16: the fallback
  batchSizes?: number[]; // [1, 2, 4, 8, 16]
  /** Device capacity in bytes; default: the memory budget (setMemoryBudget). */
  totalBytes?: number | null;
  /** Measures one batch size; default profiles `model` (forward + backward in train mode). */
  profile?: BatchProfiler;
  log?: (line: string) => void;
  device?: string;
}

export interface AutoBatchResult {
  batchSize: number;
  /** Batch sizes profiled and their memory in GiB (null: the size failed). */
  profiled: { batchSize: number; gib: number | null }[];
  /** Fitted memory(b) = p0·b + p1 in GiB. */
  fit?: [number, number];
  /** Predicted fraction of the device used at the chosen batch size. */
  predictedFraction?: number;
  log: string[];
}

/** numpy.polyfit(x, y, 1): least-squares slope and intercept. */
export function linearFit(x: number[], y: number[]): [number, number] {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const p0 = sxx === 0 ? 0 : sxy / sxx;
  return [p0, my - p0 * mx];
}

/**
 * Default profiler: on a fresh caching-allocator model (YOLOv5 empties the cache between
 * sizes), run forward + backward of `sum(outputs)` on a zero batch [b, imgsz, imgsz, 3] in
 * train mode and return the reserved bytes. Inputs and gradients are freed afterwards.
 */
export function modelProfiler(model: Module, imgsz: number): BatchProfiler {
  return async (b) => {
    return deviceMemory.isolated(async () => {
      model.train();
      await deviceMemory.measure(`autobatch ${b}`, () => {
        const x = tf.zeros([b, imgsz, imgsz, 3]);
        try {
          const { value, grads } = tf.variableGrads(() => {
            const y = model.forward(x);
            const outs = (Array.isArray(y) ? y.flat(2) : [y]).filter((t): t is tf.Tensor => t instanceof tf.Tensor);
            return tf.addN(outs.map((t) => tf.sum(t))) as tf.Scalar;
          }, model.parameters());
          value.dispose();
          tf.dispose(Object.values(grads));
        } finally {
          x.dispose();
        }
      });
      return deviceMemory.allocator.stats().peakReserved;
    });
  };
}

/**
 * YOLOv5's utils/autobatch.py: profile [1, 2, 4, 8, 16], fit memory = p0·b + p1, pick
 * b = int((free·fraction − p1) / p0); step back before the first size that failed; fall back
 * to the default outside [1, 1024]. Logs YOLOv5's lines. Memory is in GiB throughout
 * (YOLOv5 itself mixes GB from its profiler with GiB from the device).
 */
export async function autobatch(model: Module | null, opts: AutoBatchOptions = {}): Promise<AutoBatchResult> {
  const imgsz = opts.imgsz ?? 640,
    fraction = opts.fraction ?? 0.8,
    fallback = opts.batchSize ?? 16;
  const lines: string[] = [];
  const log = (s: string) => {
    lines.push(s);
    opts.log?.(s);
  };
  const prefix = "AutoBatch: ";
  const d = opts.device ?? `${tf.getBackend().toUpperCase()}:0`;
  log(`${prefix}Computing optimal batch size for --imgsz ${imgsz}`);
  const totalBytes = opts.totalBytes === undefined ? deviceMemory.budget : opts.totalBytes;
  if (!totalBytes) {
    log(`${prefix}CUDA not detected, using default CPU batch-size ${fallback}`);
    log(`${prefix}(backend ${tf.getBackend()} reports no device memory; declare one with setMemoryBudget("16GiB"))`);
    return { batchSize: fallback, profiled: [], log: lines };
  }
  const stats = deviceMemory.stats();
  const t = totalBytes / GiB,
    r = stats.reserved / GiB,
    a = stats.allocated / GiB;
  const f = t - (r + a); // as YOLOv5 computes it
  log(
    `${prefix}${d} (simulated ${t.toFixed(2)}G budget) ${t.toFixed(2)}G total, ${r.toFixed(2)}G reserved, ${a.toFixed(2)}G allocated, ${f.toFixed(2)}G free`,
  );

  const batchSizes = opts.batchSizes ?? [1, 2, 4, 8, 16];
  if (!opts.profile && !model) throw new TypeError("autobatch needs a model or a profile function");
  const profile = opts.profile ?? modelProfiler(model!, imgsz);
  const results: (number | null)[] = [];
  for (const b of batchSizes) {
    try {
      results.push((await profile(b)) / GiB);
    } catch (e) {
      log(`${prefix}${(e as Error).message}`);
      results.push(null);
    }
  }
  const profiled = batchSizes.map((b, i) => ({ batchSize: b, gib: results[i] }));
  const ok = profiled.filter((p) => p.gib !== null);
  if (ok.length < 2) {
    log(`${prefix}WARNING ⚠️ CUDA anomaly detected, recommend restart environment and retry command.`);
    return { batchSize: fallback, profiled, log: lines };
  }
  const p = linearFit(
    ok.map((q) => q.batchSize),
    ok.map((q) => q.gib as number),
  );
  let b = Math.trunc((f * fraction - p[1]) / p[0]);
  const firstFail = results.indexOf(null);
  if (firstFail >= 0 && b >= batchSizes[firstFail]) b = batchSizes[Math.max(firstFail - 1, 0)];
  if (!(b >= 1 && b <= 1024)) {
    b = fallback;
    log(`${prefix}WARNING ⚠️ CUDA anomaly detected, recommend restart environment and retry command.`);
  }
  const predicted = (p[0] * b + p[1] + r + a) / t;
  log(`${prefix}Using batch-size ${b} for ${d} ${(t * predicted).toFixed(2)}G/${t.toFixed(2)}G (${(predicted * 100).toFixed(0)}%) ✅`);
  return { batchSize: b, profiled, fit: p, predictedFraction: predicted, log: lines };
}
