// parse_model of YOLOv5 v7.0 (models/yolo.py): a model yaml's backbone + head table turned
// into layers. One entry per module name says how its yaml args become constructor args,
// as parse_model's branches do; the rest (repeats scaled by depth, channels by width,
// `from` wiring) is shared. Strings in args are names parse_model would eval: we resolve
// the few it resolves (nc, anchors, None, True, False) and run nothing.
import * as tf from "@tensorflow/tfjs";
import type { Module } from "./module";
import { Bottleneck, C3, Concat, Conv, Focus, SPP, SPPF } from "./common";
import { Upsample } from "./layers";
import { Detect } from "./detect";
import { frameworkError } from "./errors";

/** One yaml row: [from, number, module, args]. */
export type LayerSpec = [from: number | number[], n: number, module: string, args: YamlArg[]];
export type YamlArg = number | boolean | string | null | number[] | number[][];

/** A YOLOv5 model yaml (models/yolov5s.yaml and friends), as stored in a checkpoint's `model.yaml`. */
export interface YoloModelYaml {
  nc: number;
  depth_multiple: number;
  width_multiple: number;
  /** Pixels per level [w0,h0,w1,h1,...], or the number of anchors per level (autoanchor fills them). */
  anchors: number[][] | number;
  backbone: LayerSpec[];
  head: LayerSpec[];
  /** Input channels (yaml `ch`, default 3). */
  ch?: number;
}

/** A built layer with where its input comes from (parse_model's m.f) and its output stride. */
export interface BuiltLayer {
  from: number | number[];
  module: Module;
  kind: string;
  /** Input pixels per output pixel: what DetectionModel measures with a 256x256 forward. */
  stride: number;
}

/** yolov5's make_divisible: the smallest multiple of divisor that is >= x. */
export function makeDivisible(x: number, divisor: number): number {
  return Math.ceil(x / divisor) * divisor;
}

/** Python's round(): halves go to the even neighbour (parse_model rounds repeats with it). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface LayerContext {
  /** Channels of the (first) input. */
  c1: number;
  /** args[0] scaled by width and made divisible by 8 (parse_model's c2). */
  c2: number;
  /** Repeats after the depth multiple. */
  n: number;
  /** The remaining yaml args, after c2. */
  rest: YamlArg[];
  /** Channels of every input, for multi-input modules. */
  inputs: number[];
  /** Strides of every input. */
  inputStrides: number[];
  nc: number;
}

interface LayerRecipe {
  /** `downsample`: how much smaller its output is than its input (a strided Conv, Focus). */
  build(c: LayerContext): { module: Module; out: number; downsample?: number };
}

const num = (v: YamlArg | undefined, fallback?: number): number | undefined => (v === undefined || v === null ? fallback : (v as number));
const bool = (v: YamlArg | undefined, fallback: boolean): boolean => (v === undefined || v === null ? fallback : Boolean(v));

function noGroups(name: string, g: YamlArg | undefined): void {
  if (g !== undefined && g !== null && g !== 1)
    throw frameworkError("ValueError", `${name}: grouped convolutions (g=${String(g)}) are not supported`);
}

/** Module name (as written in the yaml) -> how parse_model builds it. */
const RECIPES: Record<string, LayerRecipe> = {
  Conv: {
    build: ({ c1, c2, rest: [k, s, p, g] }) => {
      noGroups("Conv", g);
      const stride = num(s, 1)!;
      return { module: new Conv(c1, c2, num(k, 1), stride, num(p)), out: c2, downsample: stride };
    },
  },
  Focus: {
    build: ({ c1, c2, rest: [k, s, p, g] }) => {
      noGroups("Focus", g);
      const stride = num(s, 1)!;
      return { module: new Focus(c1, c2, num(k, 1), stride, num(p)), out: c2, downsample: 2 * stride };
    },
  },
  Bottleneck: {
    build: ({ c1, c2, rest: [shortcut, g, e] }) => {
      noGroups("Bottleneck", g);
      return { module: new Bottleneck(c1, c2, bool(shortcut, true), num(e, 0.5)), out: c2 };
    },
  },
  C3: {
    build: ({ c1, c2, n, rest: [shortcut, g, e] }) => {
      noGroups("C3", g);
      return { module: new C3(c1, c2, n, bool(shortcut, true), num(e, 0.5)), out: c2 };
    },
  },
  SPP: {
    build: ({ c1, c2, rest: [k] }) => ({ module: new SPP(c1, c2, Array.isArray(k) ? (k as number[]) : [5, 9, 13]), out: c2 }),
  },
  SPPF: {
    build: ({ c1, c2, rest: [k] }) => ({ module: new SPPF(c1, c2, num(k, 5)), out: c2 }),
  },
};

/** Modules whose args parse_model passes through without a channel count. */
const PASS_THROUGH: Record<
  string,
  (args: YamlArg[], c: Omit<LayerContext, "c2" | "rest">, anchors: number[][]) => { module: Module; out: number; stride: number }
> = {
  "nn.Upsample": (args, c) => {
    const scale = num(args[1], 2)!;
    if (args[2] !== undefined && args[2] !== "nearest")
      throw frameworkError("ValueError", `nn.Upsample: mode '${String(args[2])}' is not supported (only 'nearest')`);
    return { module: new Upsample(scale), out: c.c1, stride: c.inputStrides[0] / scale };
  },
  Concat: (args, c) => ({ module: new Concat(num(args[0], 1)), out: c.inputs.reduce((a, b) => a + b, 0), stride: c.inputStrides[0] }),
  Detect: (_args, c, anchors) => ({ module: new Detect(c.nc, anchors, c.inputs, c.inputStrides), out: 0, stride: c.inputStrides[0] }),
};
PASS_THROUGH.Upsample = (args, c, a) => PASS_THROUGH["nn.Upsample"]([null, args[0] ?? 2, "nearest"], c, a);

/** The anchors a Detect row gets: the yaml's pixel lists, or placeholders when the yaml gives a count. */
function anchorTable(anchors: YoloModelYaml["anchors"], levels: number): number[][] {
  if (typeof anchors === "number") {
    // parse_model: anchors = [list(range(args[1] * 2))] * len(f); a checkpoint's buffer replaces them.
    return Array.from({ length: levels }, () => Array.from({ length: anchors * 2 }, (_, i) => i));
  }
  return anchors;
}

/**
 * parse_model: builds the yaml's layers in order. `nc` and `anchors` override the yaml's
 * (as DetectionModel(cfg, nc=..., anchors=...) does).
 */
export function parseModel(cfg: YoloModelYaml, opts: { nc?: number; inputChannels?: number; anchors?: number[][] } = {}): BuiltLayer[] {
  const nc = opts.nc ?? cfg.nc;
  const depth = cfg.depth_multiple,
    width = cfg.width_multiple;
  const rows = [...(cfg.backbone ?? []), ...(cfg.head ?? [])];
  if (!rows.length) throw frameworkError("ValueError", "model yaml has no backbone or head layers");
  const ch: number[] = [opts.inputChannels ?? cfg.ch ?? 3];
  const strides: number[] = [1];
  const at = (list: number[], f: number, i: number) => {
    const j = f < 0 ? list.length + f : f + 1;
    if (j < 0 || j >= list.length)
      throw frameworkError("IndexError", `model yaml layer ${i}: 'from' ${f} refers to a layer that does not exist yet`);
    return list[j];
  };
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length < 4)
      throw frameworkError("ValueError", `model yaml layer ${i}: expected [from, number, module, args], got ${JSON.stringify(row)}`);
    const [from, n0, kind, rawArgs] = row;
    const args = (rawArgs ?? []).map((a) => resolveArg(a, nc, cfg.anchors));
    const froms = [from].flat();
    const inputs = froms.map((f) => at(ch, f, i)),
      inputStrides = froms.map((f) => at(strides, f, i));
    const n = n0 > 1 ? Math.max(pyRound(n0 * depth), 1) : n0;
    const base = { c1: inputs[0], n, inputs, inputStrides, nc };
    let built: { module: Module; out: number; stride: number };
    if (kind in RECIPES) {
      const c2 = makeDivisible((args[0] as number) * width, 8);
      const { module, out, downsample = 1 } = RECIPES[kind].build({ ...base, c2, rest: args.slice(1) });
      built = { module, out, stride: inputStrides[0] * downsample };
    } else if (kind in PASS_THROUGH) {
      built = PASS_THROUGH[kind](args, base, opts.anchors ?? anchorTable(cfg.anchors, froms.length));
    } else {
      throw frameworkError(
        "NotImplementedError",
        `model yaml layer ${i}: module '${kind}' is not supported (supported: ${[...Object.keys(RECIPES), "nn.Upsample", "Concat", "Detect"].join(", ")})`,
      );
    }
    ch.push(built.out);
    strides.push(built.stride);
    return { from, module: built.module, kind, stride: strides[strides.length - 1] };
  });
}

/** A yaml arg as parse_model's eval would see it, without evaluating anything. */
function resolveArg(a: YamlArg, nc: number, anchors: YoloModelYaml["anchors"]): YamlArg {
  if (typeof a !== "string") return a;
  switch (a) {
    case "nc":
      return nc;
    case "anchors":
      return typeof anchors === "number" ? anchors : (anchors as number[][]);
    case "None":
      return null;
    case "True":
      return true;
    case "False":
      return false;
    default:
      return a;
  }
}

/**
 * Runs built layers in order, feeding each from its `from` (parse_model's _forward_once).
 * Memory is given back as PyTorch gives it back: a layer's own intermediates when it returns
 * (what backward needs stays, held by the gradient tape), and a layer's output once the last
 * layer that reads it has run. tfjs would otherwise keep every intermediate until the
 * enclosing tidy ends, and the memory figures (AutoBatch, the allocator model) would count
 * garbage PyTorch never holds.
 */
export function runLayers(layers: { from: number | number[]; module: Module }[], x: tf.Tensor): unknown {
  const lastRead = layers.map(() => -1);
  // _forward_once indexes earlier outputs as a Python list: a negative `from` counts back from this layer.
  const source = (f: number, i: number) => (f < 0 ? i + f : f);
  layers.forEach(({ from }, i) => {
    for (const f of [from].flat()) {
      const s = source(f, i);
      if (s >= 0) lastRead[s] = Math.max(lastRead[s], i);
    }
  });
  const outputs: tf.TensorContainer[] = [];
  let y: tf.TensorContainer = x;
  layers.forEach(({ from, module }, i) => {
    const input =
      typeof from === "number" ? (from === -1 ? y : outputs[source(from, i)]) : from.map((f) => (f === -1 ? y : outputs[source(f, i)]));
    y = tf.tidy(() => module.forward(input as tf.Tensor) as tf.TensorContainer);
    outputs.push(y);
    const done = outputs.flatMap((o, j) => (lastRead[j] === i ? [o] : []));
    if (done.length > 0) {
      // A layer may return its input as is: keep whatever is still to be read.
      const alive = new Set(tf.tensor_util.getTensorsInContainer([x, y, ...outputs.filter((_, j) => lastRead[j] > i)]));
      tf.dispose(tf.tensor_util.getTensorsInContainer(done).filter((t) => !alive.has(t)));
    }
  });
  return y;
}
