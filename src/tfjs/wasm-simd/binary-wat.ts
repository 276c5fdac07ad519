// The WebAssembly text of element-wise Add, Sub and Multiply of two float32 tensors of the
// same shape (wasm-kernels/same-shape-binary.ts): out = a op b over `count` floats, four
// vectors a step, then one, then single floats. IEEE single precision, as XNNPACK's kernels
// are, so the bits are the stock kernels'; ours run in parts on the kernel threads, where
// XNNPACK runs these on one thread (wasm-threads.ts).

/** The exported functions by number (thread payloads carry the number) and the instruction each runs. */
export const SAME_SHAPE_OPS = [
  ["addValues", "add"],
  ["subValues", "sub"],
  ["mulValues", "mul"],
] as const;

function binaryFunction(name: string, op: string): string {
  const step = (type: "v128" | "f32", kind: "f32x4" | "f32", offset: number) => {
    const at = (p: string) => `(i32.add (local.get $${p}) (local.get $i))`;
    const o = offset ? ` offset=${offset}` : "";
    return `(${type}.store${o} ${at("out")} (${kind}.${op} (${type}.load${o} ${at("a")}) (${type}.load${o} ${at("b")})))`;
  };
  const loop = (label: string, bytes: number, body: string) => `(block $${label}Done (loop $${label}
    (br_if $${label}Done (i32.gt_u (i32.add (local.get $i) (i32.const ${bytes})) (local.get $end)))
    ${body}
    (local.set $i (i32.add (local.get $i) (i32.const ${bytes})))
    (br $${label})))`;
  return `(func (export "${name}") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
  (local $i i32) (local $end i32)
  (local.set $end (i32.shl (local.get $count) (i32.const 2)))
  ${loop("wide", 64, [0, 16, 32, 48].map((o) => step("v128", "f32x4", o)).join("\n    "))}
  ${loop("vectors", 16, step("v128", "f32x4", 0))}
  ${loop("tail", 4, step("f32", "f32", 0))}
)`;
}

/** The exported addValues, subValues and mulValues(a, b, out, count): byte addresses, `count` floats. */
export function binaryFunctions(): string {
  return SAME_SHAPE_OPS.map(([name, op]) => binaryFunction(name, op)).join("\n");
}
