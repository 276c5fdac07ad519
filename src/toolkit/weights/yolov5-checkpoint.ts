// lab.loadYolov5(path): a YOLOv5 v7.0 detector from what YOLOv5 gave the user. A `.pt` from
// train.py (a dict with the whole DetectionModel under `ema` or `model`), a bare
// torch.save(model), a plain state_dict, or a `.safetensors` file. The model is rebuilt from
// the yaml stored in the file (scale, nc, anchors), the anchors and strides from Detect's own
// buffer and attribute (autoanchor may have changed them), then every weight is loaded.
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { YOLOv5, yolov5Yaml, YOLO_SCALES, type YoloScale } from "../nn/yolo";
import type { YoloModelYaml } from "../nn/parse-model";
import { frameworkError } from "../nn/errors";
import { decodeSafetensors, isModuleRecord, moduleStateDict, parseTorchFile, pyGet, pyToJs, PyDict, type TorchTensor } from "../io";
import { loadTorchStateDict, type TorchLayoutTensor } from "./state-dict";
import { SAFETENSORS_METADATA_KEYS, safetensorsToFloat32 } from "./safetensors-model";
import { detectAnchorsKey, storedAnchorsInPixels } from "./detect-anchors";

/** What the checkpoint file says besides the weights (train.py's dict keys). */
export interface YoloCheckpointInfo {
  file: string;
  format: "train.py checkpoint" | "torch.save(model)" | "state_dict" | "safetensors";
  /** Which object the weights came from: "ema" or "model" for a train.py checkpoint. */
  weightsFrom?: string;
  epoch?: number;
  bestFitness?: number;
  date?: string;
  /** train.py's options (vars(opt)), as plain values. */
  opt?: Record<string, unknown>;
  /** The file's own dtype of the weights (fp16 for train.py checkpoints). */
  dtype?: string;
}

export interface LoadYolov5Options {
  /** For a plain state_dict or safetensors without our metadata: the model yaml (object) if not the standard table. */
  yaml?: YoloModelYaml;
  /** Class names, when the file has none. */
  names?: string[];
}

/** A YOLOv5 with where it came from. */
export type LoadedYolov5 = YOLOv5 & { checkpoint: YoloCheckpointInfo };

/** lab.loadYolov5("runs/train/exp7/weights/best.pt"): the detector in eval mode, weights as the file holds them (fp16 -> float32). */
export async function loadYolov5(file: string, opts: LoadYolov5Options = {}): Promise<LoadedYolov5> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw frameworkError("FileNotFoundError", `[Errno 2] No such file or directory: '${file}' (${(e as Error).message.split(":")[0]})`);
  }
  return path.extname(file).toLowerCase() === ".safetensors" ? fromSafetensors(file, bytes, opts) : fromTorchFile(file, bytes, opts);
}

/** The file's tensors in PyTorch's layout, as float32 (fp16 decoded exactly). */
function toLayout(state: Map<string, TorchTensor>): Map<string, TorchLayoutTensor> {
  return new Map([...state].map(([k, t]) => [k, { shape: [...t.shape], data: t.toFloat32() }]));
}

const firstFloatDtype = (dtypes: Iterable<string>) => [...dtypes].find((d) => /^(float|F|BF)/.test(d));

async function fromTorchFile(file: string, bytes: Uint8Array, opts: LoadYolov5Options): Promise<LoadedYolov5> {
  const root = parseTorchFile(bytes, path.basename(file));
  const info: YoloCheckpointInfo = { file, format: "state_dict" };
  let moduleRecord: unknown;
  if (isModuleRecord(root)) {
    info.format = "torch.save(model)";
    moduleRecord = root;
  } else if (root instanceof PyDict && (root.has("model") || root.has("ema"))) {
    info.format = "train.py checkpoint";
    // attempt_load: ckpt.get('ema') or ckpt['model'].
    const ema = pyGet(root, "ema");
    info.weightsFrom = ema !== null && ema !== undefined ? "ema" : "model";
    moduleRecord = pyGet(root, info.weightsFrom);
    const plain = (k: string) => {
      const v = pyGet(root, k);
      return v === undefined ? undefined : pyToJs(v);
    };
    info.epoch = numberOr(plain("epoch"));
    info.bestFitness = numberOr(plain("best_fitness"));
    info.date = typeof plain("date") === "string" ? (plain("date") as string) : undefined;
    const opt = plain("opt");
    if (opt && typeof opt === "object") info.opt = opt as Record<string, unknown>;
    // A checkpoint dict whose model is a state_dict (some training scripts save it so).
    if (moduleRecord instanceof PyDict) return fromStateDict(file, moduleStateDict(moduleRecord), info, opts);
  } else if (root instanceof PyDict) {
    return fromStateDict(file, moduleStateDict(root), info, opts);
  }
  if (!isModuleRecord(moduleRecord)) {
    throw frameworkError(
      "ValueError",
      `${file}: not a YOLOv5 checkpoint: expected a train.py checkpoint, a pickled DetectionModel or a state_dict`,
    );
  }
  const state = moduleStateDict(moduleRecord);
  const yamlValue = pyGet(moduleRecord, "yaml");
  const cfg = (yamlValue !== undefined && yamlValue !== null ? pyToJs(yamlValue) : opts.yaml) as YoloModelYaml | undefined;
  if (!cfg || typeof cfg !== "object")
    throw frameworkError("ValueError", `${file}: the model has no yaml attribute; pass { yaml } with its model yaml`);
  const names = namesOf(pyToJs(pyGet(moduleRecord, "names") ?? null)) ?? opts.names;
  info.dtype = firstFloatDtype([...state.values()].map((t) => t.dtype));
  return build(file, cfg, toLayout(state), info, names);
}

async function fromStateDict(
  file: string,
  state: Map<string, TorchTensor>,
  info: YoloCheckpointInfo,
  opts: LoadYolov5Options,
): Promise<LoadedYolov5> {
  const cfg = opts.yaml ?? inferStandardYaml(file, new Map([...state].map(([k, t]) => [k, t.shape])));
  info.dtype = firstFloatDtype([...state.values()].map((t) => t.dtype));
  return build(file, cfg, toLayout(state), info, opts.names);
}

async function fromSafetensors(file: string, bytes: Uint8Array, opts: LoadYolov5Options): Promise<LoadedYolov5> {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  const meta = metadata ?? {};
  const parse = (k: string) => {
    if (meta[k] === undefined) return undefined;
    try {
      return JSON.parse(meta[k]);
    } catch {
      throw frameworkError("ValueError", `${file}: metadata '${k}' is not valid JSON`);
    }
  };
  const shapes = new Map([...tensors].map(([k, t]) => [k, t.shape]));
  const cfg = (parse(SAFETENSORS_METADATA_KEYS.yaml) as YoloModelYaml | undefined) ?? opts.yaml ?? inferStandardYaml(file, shapes);
  const names = namesOf(parse(SAFETENSORS_METADATA_KEYS.names) ?? null) ?? opts.names;
  const state = new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: safetensorsToFloat32(t) }]));
  return build(file, cfg, state, { file, format: "safetensors", dtype: firstFloatDtype([...tensors.values()].map((t) => t.dtype)) }, names);
}

/** Builds the model from the yaml, sets Detect's anchors from the file, and loads the weights. */
function build(
  file: string,
  cfg: YoloModelYaml,
  state: Map<string, TorchLayoutTensor>,
  info: YoloCheckpointInfo,
  names?: string[],
): LoadedYolov5 {
  const model = new YOLOv5(cfg, { names }) as LoadedYolov5;
  try {
    // The anchors come from Detect's own buffer: the yaml's may be stale (autoanchor).
    const anchorKey = detectAnchorsKey(model);
    const anchors = storedAnchorsInPixels(model, state, file);
    if (anchors) model.setAnchors(anchors);
    else if (typeof cfg.anchors === "number") {
      throw frameworkError("ValueError", `${file}: the yaml gives only the number of anchors and the file has no ${anchorKey}`);
    }
    loadTorchStateDict(model, state, { handled: new Set([anchorKey]), modelName: "DetectionModel" });
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.checkpoint = info;
  model.eval();
  return model;
}

/**
 * The yaml of a plain state_dict, for models of the standard yolov5{n..x}.yaml table: width
 * from the stem's channels (64 x width), depth from the first C3's bottlenecks (3 x depth),
 * nc from Detect's outputs per anchor. Anything else needs the yaml passed in.
 */
export function inferStandardYaml(file: string, shapes: Map<string, number[]>): YoloModelYaml {
  const stem = shapes.get("model.0.conv.weight");
  const detect = shapes.get("model.24.m.0.weight");
  const anchors = shapes.get("model.24.anchors");
  if (!stem || !detect) {
    throw frameworkError(
      "ValueError",
      `${file}: a state_dict without the model's yaml, and not the standard YOLOv5 table (no model.0.conv.weight / model.24.m.0.weight): pass { yaml }`,
    );
  }
  const width = stem[0] / 64;
  let bottlenecks = 0;
  while (shapes.has(`model.2.m.${bottlenecks}.cv1.conv.weight`)) bottlenecks++;
  const scale = (Object.keys(YOLO_SCALES) as YoloScale[]).find((k) => {
    const s = YOLO_SCALES[k];
    return Math.ceil((64 * s.width) / 8) * 8 === stem[0] && Math.max(Math.round(3 * s.depth), 1) === bottlenecks;
  });
  if (!scale)
    throw frameworkError(
      "ValueError",
      `${file}: stem of ${stem[0]} channels (width ${width}) and ${bottlenecks} bottlenecks match no YOLOv5 scale: pass { yaml }`,
    );
  const na = anchors ? anchors[1] : 3;
  const nc = detect[0] / na - 5;
  if (!Number.isInteger(nc) || nc < 1)
    throw frameworkError("ValueError", `${file}: Detect has ${detect[0]} outputs, not a multiple of ${na} anchors x (5 + nc)`);
  return yolov5Yaml(scale, nc);
}

function numberOr(v: unknown): number | undefined {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;
}

/** names as a list, from YOLOv5's list or {id: name} dict. */
function namesOf(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => Number(a[0]) - Number(b[0]));
    return entries.map(([, name]) => String(name));
  }
  return undefined;
}
