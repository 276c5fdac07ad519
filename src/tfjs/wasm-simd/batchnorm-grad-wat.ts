// The WebAssembly text of the two passes of a training batch norm's gradient over NHWC
// rows of c channels (c a multiple of 4), as backend/wasm-kernels/batchnorm-train-grad.ts
// uses them:
//   channelSums:   out[ch] = sum over rows of (dy - dyMean[ch]),
//                  out[c + ch] = sum of (dy - dyMean[ch]) * (x - mean[ch])
// (dyMean is zero for the gradient; for the moments it is the shift K, so that the float32
// block sums of x stay the size of x's spread, not of x: far from zero, sum x lost the mean's
// low bits)
//   channelAffine: dx = a[ch] * dy + b[ch] * x + k[ch]
// channelSums keeps 16 channels' sums in registers while it walks the rows (4 at the end);
// the caller passes a few hundred rows at a time and adds the partial sums in float64.
import { channel, perChannelRows, value } from "./per-channel-rows-wat";

/** channelSums over one block of 4 * vectors channels starting at byte $ch. */
function sumsBlock(vectors: number): string {
  const v = Array.from({ length: vectors }, (_, i) => i);
  return `(local.set $p (i32.add (local.get $ch) (i32.const 0)))
      ${v
        .map(
          (i) => `(local.set $m${i} (v128.load offset=${16 * i} (i32.add (local.get $mean) (local.get $ch))))
      (local.set $n${i} (v128.load offset=${16 * i} (i32.add (local.get $dyMean) (local.get $ch))))
      (local.set $s${i} (v128.const f32x4 0 0 0 0)) (local.set $t${i} (v128.const f32x4 0 0 0 0))`,
        )
        .join("\n      ")}
      (local.set $r (i32.const 0))
      (block $rowsDone (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        ${v
          .map(
            (i) => `(local.set $d (f32x4.sub (v128.load offset=${16 * i} (i32.add (local.get $dy) (local.get $p))) (local.get $n${i})))
        (local.set $s${i} (f32x4.add (local.get $s${i}) (local.get $d)))
        (local.set $t${i} (f32x4.add (local.get $t${i}) (f32x4.mul (local.get $d)
          (f32x4.sub (v128.load offset=${16 * i} (i32.add (local.get $x) (local.get $p))) (local.get $m${i})))))`,
          )
          .join("\n        ")}
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
      ${v
        .map(
          (i) => `(v128.store offset=${16 * i} (i32.add (local.get $out) (local.get $ch)) (local.get $s${i}))
      (v128.store offset=${16 * i} (i32.add (local.get $out) (i32.add (local.get $rowBytes) (local.get $ch))) (local.get $t${i}))`,
        )
        .join("\n      ")}`;
}

export function batchNormGradFunctions(): string {
  const locals = (n: number) =>
    Array.from({ length: n }, (_, i) => `(local $m${i} v128) (local $n${i} v128) (local $s${i} v128) (local $t${i} v128)`).join(" ");
  return `(func (export "channelSums") (param $dy i32) (param $x i32) (param $mean i32) (param $dyMean i32) (param $rows i32) (param $c i32) (param $out i32)
  (local $rowBytes i32) (local $ch i32) (local $p i32) (local $r i32) (local $d v128) ${locals(4)}
  (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
  (block $wideDone (loop $wide
    (br_if $wideDone (i32.gt_u (i32.add (local.get $ch) (i32.const 64)) (local.get $rowBytes)))
    ${sumsBlock(4)}
    (local.set $ch (i32.add (local.get $ch) (i32.const 64)))
    (br $wide)))
  (block $narrowDone (loop $narrow
    (br_if $narrowDone (i32.ge_u (local.get $ch) (local.get $rowBytes)))
    ${sumsBlock(1)}
    (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
    (br $narrow)))
)
${perChannelRows(
  "channelAffine",
  ["dy", "x", "a", "b", "k", "out"],
  `(f32x4.add
        (f32x4.add (f32x4.mul ${channel("a")} ${value("dy")}) (f32x4.mul ${channel("b")} ${value("x")}))
        ${channel("k")})`,
)}`;
}
