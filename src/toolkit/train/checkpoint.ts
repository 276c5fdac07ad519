import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { writeFileAtomic } from "./atomic-write";
import type { ModelEMA } from "./model-ema";
import type { Optimizer, OptimizerState } from "./optim/optimizer";

/*
 * Checkpoint file: "TFLABCKP" | u32 format version | u32 header length | header JSON |
 * zero padding to 8 bytes | tensor data (little-endian, each at its header offset).
 * The header lists every tensor by name with shape, dtype, offset and byte length:
 * model parameters and buffers under their dotted names (the state_dict), optimizer
 * slots under "optimizer/<slot>/<parameter>", gradients a Trainer had summed but not yet
 * applied under "trainer/accumulated/<parameter>", and a ModelEMA's weights under
 * "ema/<name>" (with its update count in the header, as YOLOv5 saves `ema` and `updates`).
 */
const MAGIC = "TFLABCKP";
const VERSION = 1;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  offset: number;
  byteLength: number;
}
interface Header {
  epoch: number;
  meta: Record<string, unknown>;
  tensors: TensorEntry[];
  optimizer?: Omit<OptimizerState, "slots"> & { slots: Record<string, string[]> };
  trainer?: { best: number | null; lastOptStep: number; accumulated: string[] };
  ema?: { updates: number };
}

/**
 * What a Trainer needs besides weights and optimizer to go on as if it had never stopped:
 * the best fitness so far (decides whether best.ckpt is overwritten), the iteration of the
 * last optimizer step and the gradients summed since (nominal-batch accumulation).
 */
export interface TrainerState {
  best: number;
  lastOptStep: number;
  /** Parameter name -> summed gradient; loadCheckpoint's caller disposes these. */
  accumulated: Record<string, tf.Tensor>;
}

export interface CheckpointInfo {
  epoch: number;
  meta: Record<string, unknown>;
  trainer?: TrainerState;
  /** Whether the checkpoint held a ModelEMA's weights and they were loaded into the `ema` given. */
  ema?: boolean;
}

/** The model's state_dict: parameters and buffers by dotted name. */
export function stateDict(model: Module): [string, tf.Variable][] {
  return [...model.namedParameters(), ...model.namedBuffers()];
}

/** Saves model weights (+ optimizer state) atomically. */
export async function saveCheckpoint(
  file: string,
  model: Module,
  opts: { optimizer?: Optimizer; epoch?: number; meta?: Record<string, unknown>; trainer?: TrainerState; ema?: ModelEMA } = {},
): Promise<void> {
  const named: [string, tf.Tensor][] = stateDict(model);
  let optimizer: Header["optimizer"];
  if (opts.optimizer) {
    const st = opts.optimizer.getState();
    const slots: Record<string, string[]> = {};
    for (const [slot, byParam] of Object.entries(st.slots)) {
      slots[slot] = Object.keys(byParam);
      for (const [param, t] of Object.entries(byParam)) named.push([`optimizer/${slot}/${param}`, t]);
    }
    optimizer = { type: st.type, stepCount: st.stepCount, groups: st.groups, slots };
  }
  let trainer: Header["trainer"];
  if (opts.trainer) {
    const { best, lastOptStep, accumulated } = opts.trainer;
    for (const [param, t] of Object.entries(accumulated)) named.push([`trainer/accumulated/${param}`, t]);
    // JSON has no -Infinity: null is "no epoch has been scored yet".
    trainer = { best: Number.isFinite(best) ? best : null, lastOptStep, accumulated: Object.keys(accumulated) };
  }
  if (opts.ema) for (const [name, t] of stateDict(opts.ema.ema)) named.push([`ema/${name}`, t]);
  const tensors: TensorEntry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    if (t.dtype !== "float32" && t.dtype !== "int32" && t.dtype !== "bool") throw new TypeError(`cannot save ${name}: dtype ${t.dtype}`);
    const data = await t.data();
    const bytes = t.dtype === "bool" ? Uint8Array.from(data as Uint8Array) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    tensors.push({ name, shape: t.shape, dtype: t.dtype, offset, byteLength: bytes.byteLength });
    blobs.push(bytes);
    const pad = (8 - (bytes.byteLength % 8)) % 8;
    if (pad) blobs.push(new Uint8Array(pad));
    offset += bytes.byteLength + pad;
  }
  const header: Header = {
    epoch: opts.epoch ?? 0,
    meta: opts.meta ?? {},
    tensors,
    optimizer,
    trainer,
    ...(opts.ema ? { ema: { updates: opts.ema.updates } } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, "ascii");
  pre.writeUInt32LE(VERSION, 8);
  pre.writeUInt32LE(json.byteLength, 12);
  const headPad = new Uint8Array((8 - ((16 + json.byteLength) % 8)) % 8);
  writeFileAtomic(file, [pre, json, headPad, ...blobs]);
}

function readHeader(file: string): { header: Header; buf: Buffer; dataStart: number } {
  const buf = fs.readFileSync(file);
  if (buf.byteLength < 16 || buf.toString("ascii", 0, 8) !== MAGIC) throw new Error(`${file} is not a tfjs-lab checkpoint`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new Error(`${file}: checkpoint format version ${version} is not supported (expected ${VERSION})`);
  const len = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString("utf8", 16, 16 + len)) as Header;
  const dataStart = 16 + len + ((8 - ((16 + len) % 8)) % 8);
  return { header, buf, dataStart };
}

function tensorFrom(e: TensorEntry, buf: Buffer, dataStart: number): tf.Tensor {
  const start = buf.byteOffset + dataStart + e.offset;
  const bytes = buf.buffer.slice(start, start + e.byteLength);
  const values = e.dtype === "float32" ? new Float32Array(bytes) : e.dtype === "int32" ? new Int32Array(bytes) : new Uint8Array(bytes);
  return tf.tensor(values, e.shape, e.dtype);
}

const torchSize = (s: number[]) => `torch.Size([${s.join(", ")}])`;

/**
 * Loads a checkpoint into `model` (and `optimizer` and `ema` if given). Every name and shape
 * is checked before anything is assigned; mismatches raise PyTorch's load_state_dict error
 * (name "RuntimeError") listing missing keys, unexpected keys and size mismatches. An `ema`
 * given for a checkpoint saved without one is left as it is (`CheckpointInfo.ema` is false).
 */
export function loadCheckpoint(
  file: string,
  model: Module,
  opts: { optimizer?: Optimizer; strict?: boolean; ema?: ModelEMA } = {},
): CheckpointInfo {
  const { header, buf, dataStart } = readHeader(file);
  const strict = opts.strict ?? true;
  const isModelEntry = (name: string) => !name.startsWith("optimizer/") && !name.startsWith("trainer/") && !name.startsWith("ema/");
  const assignments = checkStateDict(
    model,
    header.tensors.filter((e) => isModelEntry(e.name)),
    strict,
  );
  const withEma = Boolean(opts.ema && header.ema);
  if (opts.ema && withEma)
    assignments.push(
      ...checkStateDict(
        opts.ema.ema,
        header.tensors.filter((e) => e.name.startsWith("ema/")).map((e) => ({ ...e, name: e.name.slice(4) })),
        true,
      ),
    );
  for (const [v, e] of assignments) {
    const t = tensorFrom(e, buf, dataStart);
    v.assign(t);
    t.dispose();
  }
  if (opts.ema && header.ema) opts.ema.updates = header.ema.updates;
  if (opts.optimizer && header.optimizer) {
    const all = new Map(header.tensors.map((e) => [e.name, e]));
    const slots: OptimizerState["slots"] = {};
    for (const [slot, params] of Object.entries(header.optimizer.slots)) {
      slots[slot] = {};
      for (const p of params) slots[slot][p] = tensorFrom(all.get(`optimizer/${slot}/${p}`)!, buf, dataStart);
    }
    try {
      opts.optimizer.setState({ ...header.optimizer, slots });
    } finally {
      for (const byParam of Object.values(slots)) for (const t of Object.values(byParam)) t.dispose();
    }
  }
  let trainer: TrainerState | undefined;
  if (header.trainer) {
    const all = new Map(header.tensors.map((e) => [e.name, e]));
    const accumulated: Record<string, tf.Tensor> = {};
    for (const p of header.trainer.accumulated) accumulated[p] = tensorFrom(all.get(`trainer/accumulated/${p}`)!, buf, dataStart);
    trainer = { best: header.trainer.best ?? -Infinity, lastOptStep: header.trainer.lastOptStep, accumulated };
  }
  const info: CheckpointInfo = { epoch: header.epoch, meta: header.meta, ...(withEma ? { ema: true } : {}) };
  return trainer ? { ...info, trainer } : info;
}

/** load_state_dict's checks: every name, shape and dtype of `list` against the module's; returns what to assign. */
function checkStateDict(model: Module, list: TensorEntry[], strict: boolean): [tf.Variable, TensorEntry][] {
  const entries = new Map(list.map((e) => [e.name, e]));
  const target = new Map(stateDict(model));
  const missing = [...target.keys()].filter((k) => !entries.has(k));
  const unexpected = [...entries.keys()].filter((k) => !target.has(k));
  const errors: string[] = [];
  if (strict && missing.length) errors.push(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(", ")}. `);
  if (strict && unexpected.length) errors.push(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(", ")}. `);
  for (const [name, e] of entries) {
    const v = target.get(name);
    if (!v) continue;
    if (e.shape.length !== v.shape.length || e.shape.some((d, i) => d !== v.shape[i]))
      errors.push(
        `size mismatch for ${name}: copying a param with shape ${torchSize(e.shape)} from checkpoint, the shape in current model is ${torchSize(v.shape)}.`,
      );
    else if (e.dtype !== v.dtype) errors.push(`dtype mismatch for ${name}: checkpoint has ${e.dtype}, the model has ${v.dtype}.`);
  }
  if (errors.length) {
    const err = new Error(`Error(s) in loading state_dict for ${model.constructor.name}:\n\t${errors.join("\n\t")}`);
    err.name = "RuntimeError";
    throw err;
  }
  return [...entries].flatMap(([name, e]): [tf.Variable, TensorEntry][] => {
    const v = target.get(name);
    return v ? [[v, e]] : [];
  });
}
