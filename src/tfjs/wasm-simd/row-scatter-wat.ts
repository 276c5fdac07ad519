// The WebAssembly text of `rowScatter`, a SIMD128 kernel that adds row-times-matrix products
// into rows of C that may overlap:
//   C[c_s + p*ldc + n] += sum over o < k: A[a_s + p*lda + o] * B[o*ldb + n]
// for each segment s and p < count_s, n < width. A convolution's input gradient is that
// sum with A = rows of dy, B = one row of the filter transposed ([co, kw*ci]) and C = the
// rows of dx under each output pixel (conv2d-backprop-input-scatter.ts): consecutive
// pixels' rows overlap when the stride is below the filter width, so there is no col2im.
// The forward convolution is the same sum with A = the input under each output pixel and
// C = the output's pixels (conv2d-forward-rows.ts).
//
// Segments are (address in A, address in C, pixels) triples of i32.
// Each tile loads its part of C, adds, and stores before the next tile runs, so overlapping
// rows stay correct. A tile of 4 pixels takes the next 4 pixels of the list, across segment
// boundaries (short segments, one per image row in a convolution, would otherwise leave
// single-pixel remainders); its pixels' rows must not overlap within the 8 columns it works
// on. Within a segment that holds when ldc >= 32 bytes, and the caller passes rowsPerTile 1
// otherwise (one pixel at a time, in order); pixels of different segments must not overlap.
import type { MultiplyAdd } from "./multiply-add";

const TILE = 4;

/** A tile of `rows` pixels x (4 * vectors) columns of C, summed over all k rows of B; each pixel has its own addresses. */
function tileFunction(rows: number, vectors: number, madd: MultiplyAdd): string {
  const acc = (r: number, v: number) => `$acc${r}_${v}`;
  const pixels = Array.from({ length: rows }, (_, r) => r);
  const each = (f: (r: number, v: number) => string) => pixels.flatMap((r) => Array.from({ length: vectors }, (_, v) => f(r, v)));
  return [
    `(func $scatterTile${rows}x${vectors} ${pixels.map((r) => `(param $c${r} i32)`).join(" ")} ${pixels.map((r) => `(param $a${r} i32)`).join(" ")}`,
    `    (param $b i32) (param $ldb i32) (param $k i32) (param $store i32)`,
    `  (local $o i32) (local $x v128)`,
    ...Array.from({ length: vectors }, (_, v) => `  (local $b${v} v128)`),
    ...each((r, v) => `  (local ${acc(r, v)} v128)`),
    // Storing, the accumulators start at zero (v128 locals do) and C is not read.
    `  (if (i32.eqz (local.get $store)) (then`,
    ...each((r, v) => `    (local.set ${acc(r, v)} (v128.load offset=${16 * v} (local.get $c${r})))`),
    `  ))`,
    `  (local.set $o (i32.const 0))`,
    `  (loop $sum`,
    ...Array.from({ length: vectors }, (_, v) => `    (local.set $b${v} (v128.load offset=${16 * v} (local.get $b)))`),
    ...pixels.flatMap((r) => [
      `    (local.set $x (v128.load32_splat (i32.add (local.get $a${r}) (local.get $o))))`,
      ...Array.from(
        { length: vectors },
        (_, v) => `    (local.set ${acc(r, v)} ${madd(`(local.get ${acc(r, v)})`, "(local.get $x)", `(local.get $b${v})`)})`,
      ),
    ]),
    `    (local.set $b (i32.add (local.get $b) (local.get $ldb)))`,
    `    (local.set $o (i32.add (local.get $o) (i32.const 4)))`,
    `    (br_if $sum (i32.lt_u (local.get $o) (local.get $k))))`,
    ...each((r, v) => `  (v128.store offset=${16 * v} (local.get $c${r}) (local.get ${acc(r, v)}))`),
    `)`,
  ].join("\n");
}

/** All pixels of every segment for the columns [$n0, $n0 + 4 * vectors): 4 at a time where allowed, then one at a time. */
function columnStrip(vectors: number): string {
  const slots = Array.from({ length: TILE }, (_, r) => r);
  const bArgs = `(i32.add (local.get $b) (local.get $off)) (local.get $ldb) (local.get $kBytes) (local.get $store)`;
  const single = (c: string, a: string) => `(call $scatterTile1x${vectors} ${c} ${a} ${bArgs})`;
  const quad = `(call $scatterTile${TILE}x${vectors} ${slots.map((r) => `(local.get $pc${r})`).join(" ")} ${slots.map((r) => `(local.get $pa${r})`).join(" ")} ${bArgs})`;
  const step = (base: string, stride: string, r: number) =>
    r === 0 ? `(local.get $${base})` : `(i32.add (local.get $${base}) (i32.mul (local.get $${stride}) (i32.const ${r})))`;
  const direct = `(call $scatterTile${TILE}x${vectors} ${slots.map((r) => step("cp", "ldc", r)).join(" ")} ${slots.map((r) => step("ap", "lda", r)).join(" ")} ${bArgs})`;
  return `(local.set $off (i32.shl (local.get $n0) (i32.const 2)))
      (local.set $filled (i32.const 0))
      (local.set $s (i32.const 0))
      (local.set $seg (local.get $segs))
      (block $segsDone (loop $segLoop
        (br_if $segsDone (i32.ge_u (local.get $s) (local.get $nsegs)))
        (local.set $ap (i32.load (local.get $seg)))
        (local.set $cp (i32.add (i32.load offset=4 (local.get $seg)) (local.get $off)))
        (local.set $left (i32.load offset=8 (local.get $seg)))
        (block $pixelsDone (loop $pixels
          (br_if $pixelsDone (i32.eqz (local.get $left)))
          ;; With no tile half filled, ${TILE} pixels of this segment at once (the bulk of them).
          (if (i32.and (i32.eqz (local.get $filled)) (i32.and (i32.ge_u (local.get $left) (i32.const ${TILE})) (i32.ge_u (local.get $rowsPerTile) (i32.const ${TILE}))))
            (then
              ${direct}
              (local.set $ap (i32.add (local.get $ap) (i32.mul (local.get $lda) (i32.const ${TILE}))))
              (local.set $cp (i32.add (local.get $cp) (i32.mul (local.get $ldc) (i32.const ${TILE}))))
              (local.set $left (i32.sub (local.get $left) (i32.const ${TILE})))
              (br $pixels)))
          (if (i32.lt_u (local.get $rowsPerTile) (i32.const ${TILE}))
            (then ${single("(local.get $cp)", "(local.get $ap)")})
            (else
              ${slots.map((r) => `(if (i32.eq (local.get $filled) (i32.const ${r})) (then (local.set $pc${r} (local.get $cp)) (local.set $pa${r} (local.get $ap))))`).join("\n              ")}
              (local.set $filled (i32.add (local.get $filled) (i32.const 1)))
              (if (i32.eq (local.get $filled) (i32.const ${TILE})) (then ${quad} (local.set $filled (i32.const 0))))))
          (local.set $ap (i32.add (local.get $ap) (local.get $lda)))
          (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
          (local.set $left (i32.sub (local.get $left) (i32.const 1)))
          (br $pixels)))
        (local.set $seg (i32.add (local.get $seg) (i32.const 12)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $segLoop)))
      ;; Fewer than ${TILE} pixels left over from the whole list.
      ${slots
        .slice(0, TILE - 1)
        .map((r) => `(if (i32.gt_u (local.get $filled) (i32.const ${r})) (then ${single(`(local.get $pc${r})`, `(local.get $pa${r})`)}))`)
        .join("\n      ")}`;
}

/**
 * The tile functions and the exported `rowScatter` (columns [0, width) of C's rows) and
 * `rowScatterColumns` (columns [nBegin, nEnd): the share of one thread, kernel-threads.ts);
 * width, and nEnd - nBegin, multiples of 4, k >= 1. rowScatterColumns with `store` 1 writes
 * the products instead of adding them, for outputs every value of which one segment covers
 * once (1x1 convolutions, Winograd's planes): C need not be zeroed, nor read.
 */
export function rowScatterFunctions(madd: MultiplyAdd): string {
  return `${tileFunction(TILE, 2, madd)}
${tileFunction(TILE, 1, madd)}
${tileFunction(1, 2, madd)}
${tileFunction(1, 1, madd)}
(func (export "rowScatter") (param $segs i32) (param $nsegs i32) (param $ldc i32) (param $lda i32)
    (param $b i32) (param $ldb i32) (param $k i32) (param $width i32) (param $rowsPerTile i32)
  (call $rowScatterColumns (local.get $segs) (local.get $nsegs) (local.get $ldc) (local.get $lda)
    (local.get $b) (local.get $ldb) (local.get $k) (i32.const 0) (local.get $width) (local.get $rowsPerTile) (i32.const 0)))
(func $rowScatterColumns (export "rowScatterColumns") (param $segs i32) (param $nsegs i32) (param $ldc i32) (param $lda i32)
    (param $b i32) (param $ldb i32) (param $k i32) (param $nBegin i32) (param $nEnd i32) (param $rowsPerTile i32) (param $store i32)
  (local $n0 i32) (local $off i32) (local $s i32) (local $seg i32) (local $ap i32) (local $cp i32) (local $left i32)
  (local $kBytes i32) (local $filled i32)
  ${Array.from({ length: TILE }, (_, r) => `(local $pa${r} i32) (local $pc${r} i32)`).join(" ")}
  (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
  (local.set $n0 (local.get $nBegin))
  ;; Column strips outermost: a strip of B (k x 8 floats) stays in the L1 cache over all pixels.
  (block $stripsDone (loop $strips
    (br_if $stripsDone (i32.gt_u (i32.add (local.get $n0) (i32.const 8)) (local.get $nEnd)))
    ${columnStrip(2)}
    (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
    (br $strips)))
  (if (i32.lt_u (local.get $n0) (local.get $nEnd)) (then
    ${columnStrip(1)}))
)`;
}
