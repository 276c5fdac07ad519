// The WebAssembly text of `rowScatter`, a SIMD128 kernel that adds row-times-matrix products
// into rows of C that may overlap:
//   C[c_s + p*ldc + n] += sum over o < k: A[a_s + p*lda + o] * B[o*ldb + n]
// for each segment s and p < count_s, n < width. A convolution's input gradient is that
// sum with A = rows of dy, B = one row of the filter transposed ([co, kw*ci]) and C = the
// rows of dx under each output pixel (conv2d-backprop-input-scatter.ts): consecutive
// pixels' rows overlap when the stride is below the filter width, so there is no col2im.
//
// Segments are (address in A, address in C, pixels) triples of i32.
// Each tile loads its part of C, adds, and stores before the next tile runs, so overlapping
// rows stay correct; within a tile of 4 pixels the rows must not overlap, which holds when
// ldc >= 32 bytes (8 floats, a tile's width). The caller passes rowsPerTile 1 otherwise.
import { MultiplyAdd } from "./multiply-add";

/** A tile of `rows` pixels x (4 * vectors) columns of C, summed over all k rows of B. */
function tileFunction(rows: number, vectors: number, madd: MultiplyAdd): string {
  const acc = (r: number, v: number) => `$acc${r}_${v}`;
  const each = (f: (r: number, v: number) => string) =>
    Array.from({ length: rows }, (_, r) => Array.from({ length: vectors }, (_, v) => f(r, v))).flat();
  const cRow = (r: number) => r === 0 ? `(local.get $c)` : `(i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${r})))`;
  return [
    `(func $scatterTile${rows}x${vectors} (param $c i32) (param $ldc i32) (param $a i32) (param $lda i32)`,
    `    (param $b i32) (param $ldb i32) (param $k i32)`,
    `  (local $o i32) (local $x v128)`,
    ...Array.from({ length: rows }, (_, r) => `  (local $a${r} i32)`),
    ...Array.from({ length: vectors }, (_, v) => `  (local $b${v} v128)`),
    ...each((r, v) => `  (local ${acc(r, v)} v128)`),
    ...Array.from({ length: rows }, (_, r) => `  (local.set $a${r} (i32.add (local.get $a) (i32.mul (local.get $lda) (i32.const ${r}))))`),
    ...each((r, v) => `  (local.set ${acc(r, v)} (v128.load offset=${16 * v} ${cRow(r)}))`),
    `  (local.set $o (i32.const 0))`,
    `  (loop $sum`,
    ...Array.from({ length: vectors }, (_, v) => `    (local.set $b${v} (v128.load offset=${16 * v} (local.get $b)))`),
    ...Array.from({ length: rows }, (_, r) => [
      `    (local.set $x (v128.load32_splat (i32.add (local.get $a${r}) (local.get $o))))`,
      ...Array.from({ length: vectors }, (_, v) =>
        `    (local.set ${acc(r, v)} ${madd(`(local.get ${acc(r, v)})`, "(local.get $x)", `(local.get $b${v})`)})`),
    ]).flat(),
    `    (local.set $b (i32.add (local.get $b) (local.get $ldb)))`,
    `    (local.set $o (i32.add (local.get $o) (i32.const 4)))`,
    `    (br_if $sum (i32.lt_u (local.get $o) (local.get $k))))`,
    ...each((r, v) => `  (v128.store offset=${16 * v} ${cRow(r)} (local.get ${acc(r, v)}))`),
    `)`,
  ].join("\n");
}

/** All pixels of every segment for the columns [$n0, $n0 + 4 * vectors). */
function columnStrip(vectors: number): string {
  const call = (rows: number) => `(call $scatterTile${rows}x${vectors}
            (i32.add (local.get $cp) (i32.shl (local.get $n0) (i32.const 2))) (local.get $ldc)
            (local.get $ap) (local.get $lda)
            (i32.add (local.get $b) (i32.shl (local.get $n0) (i32.const 2))) (local.get $ldb) (local.get $kBytes))`;
  const advance = (rows: number) => `(local.set $ap (i32.add (local.get $ap) (i32.mul (local.get $lda) (i32.const ${rows}))))
          (local.set $cp (i32.add (local.get $cp) (i32.mul (local.get $ldc) (i32.const ${rows}))))
          (local.set $left (i32.sub (local.get $left) (i32.const ${rows})))`;
  return `(local.set $s (i32.const 0))
      (local.set $seg (local.get $segs))
      (block $segsDone (loop $segLoop
        (br_if $segsDone (i32.ge_u (local.get $s) (local.get $nsegs)))
        (local.set $ap (i32.load (local.get $seg)))
        (local.set $cp (i32.load offset=4 (local.get $seg)))
        (local.set $left (i32.load offset=8 (local.get $seg)))
        (block $quadsDone (loop $quads
          (br_if $quadsDone (i32.or (i32.lt_u (local.get $rowsPerTile) (i32.const 4)) (i32.lt_u (local.get $left) (i32.const 4))))
          ${call(4)}
          ${advance(4)}
          (br $quads)))
        (block $onesDone (loop $ones
          (br_if $onesDone (i32.eqz (local.get $left)))
          ${call(1)}
          ${advance(1)}
          (br $ones)))
        (local.set $seg (i32.add (local.get $seg) (i32.const 12)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $segLoop)))`;
}

/** The tile functions and the exported `rowScatter`; width a multiple of 4, k >= 1. */
export function rowScatterFunctions(madd: MultiplyAdd): string {
  return `${tileFunction(4, 2, madd)}
${tileFunction(4, 1, madd)}
${tileFunction(1, 2, madd)}
${tileFunction(1, 1, madd)}
(func (export "rowScatter") (param $segs i32) (param $nsegs i32) (param $ldc i32) (param $lda i32)
    (param $b i32) (param $ldb i32) (param $k i32) (param $width i32) (param $rowsPerTile i32)
  (local $n0 i32) (local $s i32) (local $seg i32) (local $ap i32) (local $cp i32) (local $left i32) (local $kBytes i32)
  (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
  ;; Column strips outermost: a strip of B (k x 8 floats) stays in the L1 cache over all pixels.
  (block $stripsDone (loop $strips
    (br_if $stripsDone (i32.gt_u (i32.add (local.get $n0) (i32.const 8)) (local.get $width)))
    ${columnStrip(2)}
    (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
    (br $strips)))
  (if (i32.lt_u (local.get $n0) (local.get $width)) (then
    ${columnStrip(1)}))
)`;
}
