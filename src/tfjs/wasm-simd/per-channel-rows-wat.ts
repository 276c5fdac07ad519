// The loop that per-channel maps over NHWC rows of c channels (c a multiple of 4) share:
// one vector at a time over rows * c floats, the channel offset wrapping at each row's end.
// channelAffine (batch norm's gradient) and channelScaleShift (affine maps) differ only in
// the value they store.

/** The vector at the current position of operand `name` (a tensor of rows * c floats). */
export const value = (name: string) => `(v128.load (i32.add (local.get $${name}) (local.get $i)))`;
/** The vector of per-channel operand `name` (c floats) for the current channels. */
export const channel = (name: string) => `(v128.load (i32.add (local.get $${name}) (local.get $ch)))`;

/** `(func (export name) params... out rows c)` storing `expression` into out at each position. */
export function perChannelRows(name: string, params: string[], expression: string): string {
  return `(func (export "${name}") ${params.map((p) => `(param $${p} i32)`).join(" ")} (param $rows i32) (param $c i32)
  (local $rowBytes i32) (local $end i32) (local $i i32) (local $ch i32)
  (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
  (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
  (block $done (loop $each
    (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
    (v128.store (i32.add (local.get $out) (local.get $i)) ${expression})
    (local.set $i (i32.add (local.get $i) (i32.const 16)))
    (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
    (if (i32.ge_u (local.get $ch) (local.get $rowBytes)) (then (local.set $ch (i32.const 0))))
    (br $each)))
)`;
}
