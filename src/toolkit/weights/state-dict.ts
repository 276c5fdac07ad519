// PyTorch state_dicts in and out of a Module: the one place that knows how PyTorch lays out
// a weight (conv [out, in, kh, kw]) against TensorFlow.js (conv [kh, kw, in, out]), and that
// reports a mismatch with load_state_dict's own words.
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module";
import { Conv2d } from "../nn/layers";
import { frameworkError } from "../nn/errors";

/** A tensor in PyTorch's layout, as a file holds it. */
export interface TorchLayoutTensor {
  shape: number[];
  data: Float32Array;
}

/** Buffers PyTorch keeps that our modules have no use for (BatchNorm's step counter). */
const IGNORED_SUFFIXES = [".num_batches_tracked"];

const torchSize = (shape: number[]) => `torch.Size([${shape.join(", ")}])`;

/** NHWC-side names of the Module's 4-D conv weights that are depthwise ([k, k, in, mult]). */
function depthwiseWeights(model: Module): Set<string> {
  const out = new Set<string>();
  for (const [name, m] of model.namedModules()) {
    if (m instanceof Conv2d && m.depthwise) out.add(name ? `${name}.weight` : "weight");
  }
  return out;
}

/** The PyTorch shape of one of our variables. */
function torchShapeOf(shape: number[], depthwise: boolean): number[] {
  if (shape.length !== 4) return shape;
  const [kh, kw, cin, cout] = shape;
  return depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw];
}

/** PyTorch layout -> ours: [out, in, kh, kw] -> [kh, kw, in, out] (depthwise: [in*m, 1, kh, kw] -> [kh, kw, in, m]). */
function fromTorchLayout(t: TorchLayoutTensor, ourShape: number[], depthwise: boolean): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape, "float32");
    if (t.shape.length !== 4) return x.reshape(ourShape);
    if (!depthwise) return tf.transpose(x, [2, 3, 1, 0]);
    const [kh, kw, cin, mult] = ourShape;
    return tf.transpose(x.reshape([cin, mult, kh, kw]), [2, 3, 0, 1]);
  });
}

/** Ours -> PyTorch layout. */
function toTorchLayout(v: tf.Tensor, depthwise: boolean): tf.Tensor {
  return tf.tidy(() => {
    if (v.rank !== 4) return v.clone();
    if (!depthwise) return tf.transpose(v, [3, 2, 0, 1]);
    const [kh, kw, cin, mult] = v.shape;
    return tf.transpose(v, [2, 3, 0, 1]).reshape([cin * mult, 1, kh, kw]);
  });
}

export interface LoadStateDictOptions {
  /** Fail on keys the model lacks or misses (PyTorch's strict=True). Default true. */
  strict?: boolean;
  /** Keys handled by the caller (e.g. Detect's anchors): neither loaded nor reported. */
  handled?: Set<string>;
  /** The class name in the error's first line, as PyTorch prints it. */
  modelName?: string;
}

/**
 * load_state_dict: assigns every parameter and buffer from a PyTorch-layout state dict.
 * Nothing is assigned unless every shape agrees, so a failed load leaves the model as it was.
 * Errors read as PyTorch's: "Error(s) in loading state_dict for DetectionModel: ...".
 */
export function loadTorchStateDict(model: Module, state: Map<string, TorchLayoutTensor>, opts: LoadStateDictOptions = {}): void {
  const strict = opts.strict ?? true;
  const depthwise = depthwiseWeights(model);
  const ours = [...model.namedParameters(), ...model.namedBuffers()];
  const ourNames = new Set(ours.map(([n]) => n));
  const missing: string[] = [],
    mismatched: string[] = [];
  const plan: [tf.Variable, TorchLayoutTensor, boolean][] = [];
  for (const [name, v] of ours) {
    const t = state.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    const want = torchShapeOf(v.shape, depthwise.has(name));
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      mismatched.push(
        `size mismatch for ${name}: copying a param with shape ${torchSize(t.shape)} from checkpoint, the shape in current model is ${torchSize(want)}.`,
      );
      continue;
    }
    plan.push([v, t, depthwise.has(name)]);
  }
  const unexpected = [...state.keys()].filter(
    (k) => !ourNames.has(k) && !opts.handled?.has(k) && !IGNORED_SUFFIXES.some((s) => k.endsWith(s)),
  );
  const problems: string[] = [];
  if (strict && missing.length) problems.push(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(", ")}. `);
  if (strict && unexpected.length) problems.push(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(", ")}. `);
  problems.push(...mismatched);
  if (problems.length) {
    throw frameworkError(
      "RuntimeError",
      `Error(s) in loading state_dict for ${opts.modelName ?? model.constructor.name}:\n\t${problems.join("\n\t")}`,
    );
  }
  for (const [v, t, dw] of plan) {
    const value = fromTorchLayout(t, v.shape, dw);
    v.assign(value);
    value.dispose();
  }
}

/**
 * state_dict() in PyTorch's layout and names: parameters, buffers, and each BatchNorm's
 * num_batches_tracked (PyTorch's strict load wants it; we do not count steps, so 0).
 */
export async function torchStateDict(model: Module): Promise<Map<string, TorchLayoutTensor & { dtype: "float32" | "int64" }>> {
  const depthwise = depthwiseWeights(model);
  const out = new Map<string, TorchLayoutTensor & { dtype: "float32" | "int64" }>();
  for (const [name, v] of [...model.namedParameters(), ...model.namedBuffers()]) {
    const t = toTorchLayout(v, depthwise.has(name));
    out.set(name, { shape: t.shape, data: (await t.data()) as Float32Array, dtype: "float32" });
    t.dispose();
    if (name.endsWith(".running_var")) {
      out.set(name.replace(/running_var$/, "num_batches_tracked"), { shape: [], data: new Float32Array(1), dtype: "int64" });
    }
  }
  return out;
}
