// Finds the tensors and models the notebook's variables hold: tensors directly, arrays and
// plain objects of tensors (one level of nesting below the variable, as `batch.images` or
// `maps[2]`), toolkit Modules and tfjs LayersModels.
import { isTensor } from "../../display";
import type { Tensor } from "../../tfjs/internals";

/** A toolkit Module, recognised by shape so the toolkit need not load. */
export interface ModuleLike {
  forward(...args: unknown[]): unknown;
  numParams(): number;
  namedModules(): [string, ModuleLike, number][];
  namedParameters(): [string, Tensor & { trainable?: boolean }][];
  namedBuffers(): [string, Tensor][];
  children(): [string, ModuleLike][];
  training: boolean;
}
export function isModule(v: unknown): v is ModuleLike {
  const m = v as ModuleLike | null;
  return (
    !!m &&
    typeof m === "object" &&
    typeof m.forward === "function" &&
    typeof m.numParams === "function" &&
    typeof m.namedModules === "function"
  );
}

/** A tfjs LayersModel (tf.sequential, tf.model, loaded models). */
export interface LayersModelLike {
  name: string;
  layers: {
    name: string;
    getClassName(): string;
    outputShape: unknown;
    countParams(): number;
    trainableWeights: { shape: number[] }[];
    nonTrainableWeights: { shape: number[] }[];
    weights: { read(): Tensor }[];
  }[];
  inputs: { shape: (number | null)[] }[];
  outputs: { shape: (number | null)[] }[];
  countParams(): number;
  predict(x: Tensor): unknown;
  getClassName(): string;
}
export function isLayersModel(v: unknown): v is LayersModelLike {
  const m = v as LayersModelLike | null;
  return !!m && typeof m === "object" && typeof m.countParams === "function" && Array.isArray(m.layers) && typeof m.predict === "function";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Each tensor inside a value, with the path that reaches it (`name`, `name[0]`, `name.images`). */
export function tensorsIn(value: unknown, path: string, depth = 2, maxItems = 64): { path: string; tensor: Tensor }[] {
  if (isTensor(value)) return [{ path, tensor: value }];
  if (depth === 0) return [];
  const out: { path: string; tensor: Tensor }[] = [];
  if (Array.isArray(value)) {
    value.slice(0, maxItems).forEach((v, i) => out.push(...tensorsIn(v, `${path}[${i}]`, depth - 1, maxItems)));
  } else if (value instanceof Map) {
    [...value.entries()]
      .slice(0, maxItems)
      .forEach(([k, v]) => out.push(...tensorsIn(v, `${path}.get(${JSON.stringify(k)})`, depth - 1, maxItems)));
  } else if (isPlainObject(value)) {
    Object.entries(value)
      .slice(0, maxItems)
      .forEach(([k, v]) => out.push(...tensorsIn(v, `${path}.${k}`, depth - 1, maxItems)));
  }
  return out;
}

/**
 * Tensor id -> the variable paths that hold it, over the whole namespace (module parameters
 * and buffers included as `model.<param name>`).
 */
export function tensorHolders(ns: Record<string, unknown>, names: string[]): Map<number, string[]> {
  const holders = new Map<number, string[]>();
  const add = (t: Tensor, path: string) => {
    const list = holders.get(t.id);
    if (list) list.push(path);
    else holders.set(t.id, [path]);
  };
  for (const name of names) {
    let value: unknown;
    try {
      value = ns[name];
    } catch {
      continue;
    }
    if (isModule(value)) {
      for (const [p, t] of [...value.namedParameters(), ...value.namedBuffers()]) add(t, `${name}.${p}`);
    } else if (isLayersModel(value)) {
      for (const l of value.layers) for (const w of l.weights) add(w.read(), `${name}.${l.name}`);
    } else {
      for (const { path, tensor } of tensorsIn(value, name)) add(tensor, path);
    }
  }
  return holders;
}
