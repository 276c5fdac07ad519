// The WebAssembly text of a one-pass element-wise kernel, the frame that SiLU's and ReLU's
// kernels (silu-wat.ts, relu-wat.ts) fill in: a vector loop over GROUPS vectors at once with
// their steps interleaved (a long dependent chain per vector left the core waiting on
// latency), then one vector at a time, then a scalar tail, each running the same steps, so a
// value's result does not depend on where it falls.

/** Vectors the main loop takes at once. */
export const GROUPS = 8;

/** Floats past a row's channels that a per-channel operand must repeat: one group's vectors. */
export const REPEAT_FLOATS = 4 * GROUPS;

export type Kind = "f32x4" | "f32";

/** Statement builders for one value group: group `g` of the vector loop, or the scalar loop. */
export function group(kind: Kind, g: number, constants: Record<string, number>) {
  const suffix = kind === "f32" ? "s" : `${g}`;
  const offset = kind === "f32" ? "" : ` offset=${16 * g}`;
  const type = kind === "f32x4" ? "v128" : "f32";
  return {
    kind,
    get: (l: string) => `(local.get $${l}${suffix})`,
    set: (l: string, value: string) => `(local.set $${l}${suffix} ${value})`,
    op: (name: string, ...args: string[]) => `(${kind}.${name} ${args.join(" ")})`,
    c: (name: string) => {
      const v = constants[name];
      if (v === undefined) throw new Error(`no constant ${name}`);
      return kind === "f32x4" ? `(v128.const f32x4 ${v} ${v} ${v} ${v})` : `(f32.const ${v})`;
    },
    load: (operand: string) => `(${type}.load${offset} (i32.add (local.get $${operand}) (local.get $i)))`,
    /** Operand `operand`'s values for the current channels (a per-channel array, periodic: see elementwise). */
    channel: (operand: string) => `(${type}.load${offset} (i32.add (local.get $${operand}) (local.get $ch)))`,
    store: (operand: string, value: string) => `(${type}.store${offset} (i32.add (local.get $${operand}) (local.get $i)) ${value})`,
  };
}
export type Group = ReturnType<typeof group>;

export interface ElementwiseKernel {
  name: string;
  /** Byte-address parameters, before `count` (and `rowBytes`). */
  params: string[];
  /** Per-group locals the steps use (each a v128 in the vector loops, an f32 in the tail). */
  locals: string[];
  constants: Record<string, number>;
  /** The statements for one group, ending with its stores. */
  steps: (g: Group) => string[];
  /**
   * The floats are rows of `rowBytes` bytes (a multiple of 16) starting at a row's start, and
   * `group.channel` reads per-channel operands at the current channel offset $ch. Those
   * operands hold rowBytes + 4 * REPEAT_FLOATS bytes, repeating the row's channels, so that a
   * group's vectors past the row's end read the next row's first channels without a test.
   */
  perChannel?: boolean;
}

/** One exported function over `count` floats at byte addresses. */
export function elementwise({ name, params, locals, constants, steps, perChannel = false }: ElementwiseKernel): string {
  const stepsOf = (kind: Kind, g: number) => steps(group(kind, g, constants));
  const nextChannel = (bytes: number) =>
    perChannel ? `\n    (local.set $ch (i32.rem_u (i32.add (local.get $ch) (i32.const ${bytes})) (local.get $rowBytes)))` : "";
  const interleaved = Array.from({ length: GROUPS }, (_, g) => stepsOf("f32x4", g));
  const loop = (label: string, end: string, bytes: number, body: string[]) => `(block $${label}Done (loop $${label}
    (br_if $${label}Done (i32.gt_u (i32.add (local.get $i) (i32.const ${bytes})) (local.get $${end})))
    ${body.join("\n    ")}
    (local.set $i (i32.add (local.get $i) (i32.const ${bytes})))${nextChannel(bytes)}
    (br $${label})))`;
  const declared = [
    ...Array.from({ length: GROUPS }, (_, g) => locals.map((l) => `(local $${l}${g} v128)`)).flat(),
    ...locals.map((l) => `(local $${l}s f32)`),
  ];
  return `(func (export "${name}") ${params.map((p) => `(param $${p} i32)`).join(" ")} (param $count i32)${perChannel ? " (param $rowBytes i32)" : ""}
  (local $i i32) (local $end i32) (local $ch i32)
  ${declared.join(" ")}
  (local.set $end (i32.shl (local.get $count) (i32.const 2)))
  ${loop(
    "groups",
    "end",
    16 * GROUPS,
    interleaved[0].map((_, k) => interleaved.map((s) => s[k]).join("\n    ")),
  )}
  ${loop("vectors", "end", 16, stepsOf("f32x4", 0))}
  ${loop("tail", "end", 4, stepsOf("f32", 0))}
)`;
}

/** x * factor + bias per channel, multiplied then added: channelScaleShift's bits (batch norm's forward map). */
export const channelAffineInput = ({ op, load, channel }: Group) => op("add", op("mul", load("x"), channel("factor")), channel("bias"));
