// The WebAssembly text of `siluGrad`: the gradient of SiLU (x * sigmoid(x)) in one pass,
//   dx = dy * s * (1 + x * (1 - s)),  s = sigmoid(x) saved by the forward pass.
// Composed from tfjs ops it took seven kernels (five multiplies, a subtraction, an addition),
// each a full pass over a YOLOv5 activation.

const VECTOR = (op: string) => `(v128.load (i32.add (local.get $${op}) (local.get $i)))`;
const SCALAR = (op: string) => `(f32.load (i32.add (local.get $${op}) (local.get $i)))`;

/** dx for 4 values (f32x4) or 1 (f32), at byte offset $i of every operand. */
function body(kind: "f32x4" | "f32"): string {
  const [load, one, store] =
    kind === "f32x4" ? [VECTOR, "(v128.const f32x4 1 1 1 1)", "v128.store"] : [SCALAR, "(f32.const 1)", "f32.store"];
  return `(${store} (i32.add (local.get $out) (local.get $i))
        (${kind}.mul (${kind}.mul ${load("dy")} ${load("s")})
          (${kind}.add ${one} (${kind}.mul ${load("x")} (${kind}.sub ${one} ${load("s")})))))`;
}

/** The exported `siluGrad(dy, x, s, out, count)`: byte addresses, `count` floats. */
export function siluGradFunctions(): string {
  return `(func (export "siluGrad") (param $dy i32) (param $x i32) (param $s i32) (param $out i32) (param $count i32)
  (local $i i32) (local $vectorEnd i32) (local $end i32)
  (local.set $end (i32.shl (local.get $count) (i32.const 2)))
  (local.set $vectorEnd (i32.and (local.get $end) (i32.const -16)))
  (block $vectorsDone (loop $vectors
    (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $vectorEnd)))
    ${body("f32x4")}
    (local.set $i (i32.add (local.get $i) (i32.const 16)))
    (br $vectors)))
  (block $tailDone (loop $tail
    (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
    ${body("f32")}
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $tail)))
)`;
}
