// A model's weights as safetensors, the format the PyTorch world exchanges weights in:
// PyTorch's state_dict names and layouts (conv weights [out, in, kh, kw]), so
// `model.load_state_dict(safetensors.torch.load_file(f))` works on YOLOv5's own model, and
// lab.loadYolov5 rebuilds the model from the yaml kept in the metadata.
import { promises as fs } from "node:fs";
import type { Module } from "../nn/module";
import { YOLOv5 } from "../nn/yolo";
import { bfloat16ToFloat32Array, decodeSafetensors, float16ToFloat32Array, writeSafetensorsFile, type SafetensorsTensor } from "../io";
import { loadTorchStateDict, torchStateDict, type TorchLayoutTensor } from "./state-dict";
import { detectAnchorsKey, detectAnchorsTensor, storedAnchorsInPixels } from "./detect-anchors";

/** Metadata keys we write (safetensors metadata is string -> string). */
export const SAFETENSORS_METADATA_KEYS = {
  /** The model yaml (JSON), so the file alone rebuilds the model. */
  yaml: "yolov5_yaml",
  /** Class names (JSON list). */
  names: "names",
} as const;

/** A safetensors tensor's values as float32 (F16 and BF16 are stored as bit patterns). */
export function safetensorsToFloat32(t: SafetensorsTensor): Float32Array {
  if (t.dtype === "F16") return float16ToFloat32Array(t.data as Uint16Array);
  if (t.dtype === "BF16") return bfloat16ToFloat32Array(t.data as Uint16Array);
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Saves a model's state_dict as safetensors (float32; BatchNorm's num_batches_tracked as int64 0). */
export async function saveSafetensors(model: Module, file: string, metadata: Record<string, string> = {}): Promise<void> {
  const state = await torchStateDict(model);
  const tensors = [...state].map(([name, t]) => ({
    name,
    dtype: t.dtype === "int64" ? ("I64" as const) : ("F32" as const),
    shape: t.shape,
    data: t.dtype === "int64" ? BigInt64Array.from(t.data, (v) => BigInt(Math.round(v))) : t.data,
  }));
  // Detect's anchors buffer, in grid units as YOLOv5 registers it, so PyTorch's strict load succeeds.
  if (model instanceof YOLOv5) tensors.push({ ...detectAnchorsTensor(model), dtype: "F32" });
  const meta: Record<string, string> = { format: "pt", ...metadata };
  if (model instanceof YOLOv5) {
    meta[SAFETENSORS_METADATA_KEYS.yaml] = JSON.stringify(model.yaml);
    meta[SAFETENSORS_METADATA_KEYS.names] = JSON.stringify(model.names);
  }
  await writeSafetensorsFile(file, tensors, meta);
}

/** Loads a safetensors state_dict into an existing model (strict, as load_state_dict). */
export async function loadSafetensors(model: Module, file: string): Promise<void> {
  const { tensors } = decodeSafetensors(await fs.readFile(file), file);
  const state = new Map<string, TorchLayoutTensor>();
  for (const [name, t] of tensors) state.set(name, { shape: t.shape, data: safetensorsToFloat32(t) });
  // Anchors checked before any weight is loaded, set after: a failed load changes nothing.
  const anchors = model instanceof YOLOv5 ? storedAnchorsInPixels(model, state, file) : undefined;
  const handled = new Set(model instanceof YOLOv5 ? [detectAnchorsKey(model)] : []);
  loadTorchStateDict(model, state, { handled, modelName: model.constructor.name });
  if (anchors) (model as YOLOv5).setAnchors(anchors);
}
