// The WebAssembly text of `outerAccumulate`, a SIMD128 kernel that sums outer products of
// strided rows straight from tensors on the wasm backend's heap:
//   C[m, n] += sum over segments s, p < count_s: A[a_s + p*lda + m] * B[b_s + p*ldb + n]
// A convolution's filter gradient is that sum with A = rows of x and B = rows of dy
// (wasm-kernels/conv2d-backprop-filter-outer.ts), so it needs neither im2col nor a
// transpose. XNNPACK's GEMM needs both, and they cost more than the product on YOLOv5n's
// shapes.
//
// The text is generated because the tiles differ only in their size: 4 rows of C by 2 or 1
// vectors of 4 columns, and single rows for the remainder. Rows of A are splatted, vectors
// of B loaded, and the tile's accumulators stay in registers across every segment.
// module-wat.ts puts it in the module `npm run build` assembles (assemble.ts).
import type { MultiplyAdd } from "./multiply-add";

/** Rows of C per tile: 4x8 keeps 8 accumulators, 2 B vectors and 2 temporaries within x86's 16 vector registers. */
const TILE_ROWS = 4;

/** A tile of `rows` x (4 * vectors) accumulators over all segments. */
function tileFunction(rows: number, vectors: number, madd: MultiplyAdd): string {
  const acc = (r: number, v: number) => `$acc${r}_${v}`;
  const each = (f: (r: number, v: number) => string) =>
    Array.from({ length: rows }, (_, r) => Array.from({ length: vectors }, (_, v) => f(r, v))).flat();
  const rowAddress = (r: number) => `(i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${r})))`;
  return [
    `(func $outerTile${rows}x${vectors} (param $c i32) (param $ldc i32) (param $segs i32) (param $nsegs i32)`,
    `    (param $lda i32) (param $ldb i32) (param $aCol i32) (param $bCol i32)`,
    `  (local $s i32) (local $a i32) (local $b i32) (local $k i32) (local $x v128)`,
    ...Array.from({ length: vectors }, (_, v) => `  (local $b${v} v128)`),
    ...each((r, v) => `  (local ${acc(r, v)} v128)`),
    ...each((r, v) => `  (local.set ${acc(r, v)} (v128.load offset=${16 * v} ${rowAddress(r)}))`),
    `  (block $segsDone (loop $seg`,
    `    (br_if $segsDone (i32.ge_u (local.get $s) (local.get $nsegs)))`,
    `    (local.set $a (i32.add (i32.load (local.get $segs)) (local.get $aCol)))`,
    `    (local.set $b (i32.add (i32.load offset=4 (local.get $segs)) (local.get $bCol)))`,
    `    (local.set $k (i32.load offset=8 (local.get $segs)))`,
    `    (local.set $segs (i32.add (local.get $segs) (i32.const 12)))`,
    `    (local.set $s (i32.add (local.get $s) (i32.const 1)))`,
    `    (br_if $seg (i32.eqz (local.get $k)))`,
    `    (loop $p`,
    ...Array.from({ length: vectors }, (_, v) => `      (local.set $b${v} (v128.load offset=${16 * v} (local.get $b)))`),
    ...Array.from({ length: rows }, (_, r) => [
      `      (local.set $x (v128.load32_splat offset=${4 * r} (local.get $a)))`,
      ...Array.from(
        { length: vectors },
        (_, v) => `      (local.set ${acc(r, v)} ${madd(`(local.get ${acc(r, v)})`, "(local.get $x)", `(local.get $b${v})`)})`,
      ),
    ]).flat(),
    `      (local.set $a (i32.add (local.get $a) (local.get $lda)))`,
    `      (local.set $b (i32.add (local.get $b) (local.get $ldb)))`,
    `      (local.set $k (i32.sub (local.get $k) (i32.const 1)))`,
    `      (br_if $p (local.get $k)))`,
    `    (br $seg)))`,
    ...each((r, v) => `  (v128.store offset=${16 * v} ${rowAddress(r)} (local.get ${acc(r, v)}))`),
    `)`,
  ].join("\n");
}

/** The columns [$nBegin, $nEnd) of one band of `rows` rows of C starting at $m0: 8 at a time, then 4. */
function band(rows: number): string {
  const call = (vectors: number) => `(call $outerTile${rows}x${vectors}
          (i32.add (local.get $c) (i32.add (i32.mul (local.get $m0) (local.get $ldc)) (i32.shl (local.get $n0) (i32.const 2))))
          (local.get $ldc) (local.get $segs) (local.get $nsegs) (local.get $lda) (local.get $ldb)
          (i32.shl (local.get $m0) (i32.const 2)) (i32.shl (local.get $n0) (i32.const 2)))`;
  return `(local.set $n0 (local.get $nBegin))
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.gt_u (i32.add (local.get $n0) (i32.const 8)) (local.get $nEnd)))
        ${call(2)}
        (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
        (br $cols)))
      (if (i32.lt_u (local.get $n0) (local.get $nEnd)) (then ${call(1)}))`;
}

/**
 * The tile functions and the exported `outerAccumulate` (all of C, m x n) and
 * `outerAccumulateBlock` (rows [mBegin, mEnd) and columns [nBegin, nEnd) of it: the share of
 * one thread, kernel-threads.ts); n, and nEnd - nBegin, must be multiples of 4. Each value of
 * C is summed in the same order whatever the block, so threads give the one-thread result.
 */
export function outerAccumulateFunctions(madd: MultiplyAdd): string {
  return `${tileFunction(TILE_ROWS, 2, madd)}
${tileFunction(TILE_ROWS, 1, madd)}
${tileFunction(1, 2, madd)}
${tileFunction(1, 1, madd)}
(func (export "outerAccumulate") (param $c i32) (param $ldc i32) (param $segs i32) (param $nsegs i32)
    (param $lda i32) (param $ldb i32) (param $m i32) (param $n i32)
  (call $outerAccumulateBlock (local.get $c) (local.get $ldc) (local.get $segs) (local.get $nsegs)
    (local.get $lda) (local.get $ldb) (i32.const 0) (local.get $m) (i32.const 0) (local.get $n)))
(func $outerAccumulateBlock (export "outerAccumulateBlock") (param $c i32) (param $ldc i32) (param $segs i32) (param $nsegs i32)
    (param $lda i32) (param $ldb i32) (param $mBegin i32) (param $mEnd i32) (param $nBegin i32) (param $nEnd i32)
  (local $m0 i32) (local $n0 i32)
  (local.set $m0 (local.get $mBegin))
  (block $bandsDone (loop $bands
    (br_if $bandsDone (i32.gt_u (i32.add (local.get $m0) (i32.const ${TILE_ROWS})) (local.get $mEnd)))
    ${band(TILE_ROWS)}
    (local.set $m0 (i32.add (local.get $m0) (i32.const ${TILE_ROWS})))
    (br $bands)))
  (block $rowsDone (loop $rows
    (br_if $rowsDone (i32.ge_u (local.get $m0) (local.get $mEnd)))
    ${band(1)}
    (local.set $m0 (i32.add (local.get $m0) (i32.const 1)))
    (br $rows)))
)`;
}
