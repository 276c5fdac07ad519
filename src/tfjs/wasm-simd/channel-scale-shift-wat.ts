// The WebAssembly text of a per-channel affine map over NHWC rows of c channels (c a
// multiple of 4), as wasm-kernels/channel-affine.ts uses it for batch norm's forward pass and
// for Mul/Add/Sub/Div by a channel vector:
//   channelScaleShift: out = x * factor[ch] + bias[ch]
// XNNPACK's 1x1 depthwise convolution did this before, but on the threaded build it ran
// slower with 2 threads than with 1 (17 ms of a YOLOv5n step on 1, 31 on 2); this one runs
// in parts of rows on our kernel threads.

export function channelScaleShiftFunctions(): string {
  return `(func (export "channelScaleShift") (param $x i32) (param $factor i32) (param $bias i32) (param $out i32) (param $rows i32) (param $c i32)
  (local $rowBytes i32) (local $end i32) (local $i i32) (local $ch i32)
  (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
  (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
  (block $done (loop $each
    (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
    (v128.store (i32.add (local.get $out) (local.get $i))
      (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $factor) (local.get $ch))))
        (v128.load (i32.add (local.get $bias) (local.get $ch)))))
    (local.set $i (i32.add (local.get $i) (i32.const 16)))
    (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
    (if (i32.ge_u (local.get $ch) (local.get $rowBytes)) (then (local.set $ch (i32.const 0))))
    (br $each)))
)`;
}
