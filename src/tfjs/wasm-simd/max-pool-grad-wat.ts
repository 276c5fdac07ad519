// The WebAssembly text of `maxPoolGradImage`: MaxPoolGrad of one NHWC image, c a multiple
// of 4 (wasm-kernels/max-pool-grad.ts). For each output pixel and each vector of 4 channels
// the window is walked in row-major order keeping the first strict maximum and its pixel
// (f32x4.gt, so NaN never wins and a window of -Infinity or NaN passes no gradient: the cpu
// backend's rule), and that output's dy is added into dx at the winner, lane by lane. Outputs
// are taken in row-major order, so overlapping windows add into dx in the JS loop's order.

export function maxPoolGradFunctions(): string {
  const lane = (l: number) => `(local.set $w (i32x4.extract_lane ${l} (local.get $where)))
          (if (i32.ge_s (local.get $w) (i32.const 0)) (then
            (local.set $p (i32.add (i32.add (local.get $dx) (i32.mul (local.get $w) (local.get $rowBytes))) (i32.add (local.get $chb) (i32.const ${4 * l}))))
            (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane ${l} (local.get $g))))))`;
  return `(func (export "maxPoolGradImage") (param $x i32) (param $dy i32) (param $dx i32) (param $h i32) (param $wd i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
  (local $rowBytes i32) (local $y i32) (local $xo i32) (local $r i32) (local $col i32) (local $r0 i32) (local $r1 i32)
  (local $c0 i32) (local $c1 i32) (local $chb i32) (local $pix i32) (local $gp i32) (local $w i32) (local $p i32)
  (local $best v128) (local $where v128) (local $v v128) (local $m v128) (local $g v128)
  (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
  (local.set $gp (local.get $dy))
  (local.set $y (i32.const 0))
  (block $yDone (loop $yLoop
    (br_if $yDone (i32.ge_s (local.get $y) (local.get $oh)))
    (local.set $r0 (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $pt)))
    (local.set $r1 (i32.add (local.get $r0) (local.get $fh)))
    (if (i32.lt_s (local.get $r0) (i32.const 0)) (then (local.set $r0 (i32.const 0))))
    (if (i32.gt_s (local.get $r1) (local.get $h)) (then (local.set $r1 (local.get $h))))
    (local.set $xo (i32.const 0))
    (block $xDone (loop $xLoop
      (br_if $xDone (i32.ge_s (local.get $xo) (local.get $ow)))
      (local.set $c0 (i32.sub (i32.mul (local.get $xo) (local.get $sw)) (local.get $pl)))
      (local.set $c1 (i32.add (local.get $c0) (local.get $fw)))
      (if (i32.lt_s (local.get $c0) (i32.const 0)) (then (local.set $c0 (i32.const 0))))
      (if (i32.gt_s (local.get $c1) (local.get $wd)) (then (local.set $c1 (local.get $wd))))
      (local.set $chb (i32.const 0))
      (block $chDone (loop $chLoop
        (br_if $chDone (i32.ge_u (local.get $chb) (local.get $rowBytes)))
        (local.set $best (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $where (v128.const i32x4 -1 -1 -1 -1))
        (local.set $r (local.get $r0))
        (block $rDone (loop $rLoop
          (br_if $rDone (i32.ge_s (local.get $r) (local.get $r1)))
          (local.set $col (local.get $c0))
          (block $colDone (loop $colLoop
            (br_if $colDone (i32.ge_s (local.get $col) (local.get $c1)))
            (local.set $pix (i32.add (i32.mul (local.get $r) (local.get $wd)) (local.get $col)))
            (local.set $v (v128.load (i32.add (i32.add (local.get $x) (i32.mul (local.get $pix) (local.get $rowBytes))) (local.get $chb))))
            (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
            (local.set $where (v128.bitselect (i32x4.splat (local.get $pix)) (local.get $where) (local.get $m)))
            (local.set $col (i32.add (local.get $col) (i32.const 1)))
            (br $colLoop)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rLoop)))
        (local.set $g (v128.load (i32.add (local.get $gp) (local.get $chb))))
        ${[0, 1, 2, 3].map(lane).join("\n        ")}
        (local.set $chb (i32.add (local.get $chb) (i32.const 16)))
        (br $chLoop)))
      (local.set $gp (i32.add (local.get $gp) (local.get $rowBytes)))
      (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
      (br $xLoop)))
    (local.set $y (i32.add (local.get $y) (i32.const 1)))
    (br $yLoop)))
)`;
}
