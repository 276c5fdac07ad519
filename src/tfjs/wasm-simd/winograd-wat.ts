// The WebAssembly text of the transforms of Winograd's F(2x2, 3x3) convolution
// (wasm-kernels/winograd-conv.ts), four channels a vector. A 3x3 stride-1 convolution's
// output, 2x2 pixels at a time, is A^T [(G g G^T) . (B^T d B)] A for the 4x4 input patch d
// under them: 16 products per channel pair where the direct sum has 36, and the 16 are
// matrix products over channels that our GEMM kernels run (row-scatter-wat.ts,
// outer-accumulate-wat.ts). These kernels move the tiles in and out of that form:
//   winogradGatherInput:  x's 4x4 patches  -> B^T d B   (16 planes [tile][channel])
//   winogradGatherGrad:   dy's 2x2 tiles   -> A dy A^T  (16 planes; the filter gradient's other side)
//   winogradScatterOutput: 16 planes       -> A^T m A, the 2x2 output pixels
//   winogradFilterMap:    out[r] = sum_s coef[r][s] in[s] over runs of floats (the filter's G and G^T)
// A patch's pixels outside the image read a row of zeros, and output pixels outside the
// output write a scratch row: the per-tile addresses decide, so the channel loop has no branch.
// Tiles are numbered over the batch, row-major; the gathers and the scatter walk `count` of them
// from `tile0`, tile t's planes at dst + (t - tile0) * channels * 4 + plane * planeBytes.

type Matrix = number[][];

/** B^T, A^T and A of F(2x2, 3x3) (Lavin and Gray, 2015): every coefficient is 0 or +-1. */
const BT: Matrix = [
  [1, 0, -1, 0],
  [0, 1, 1, 0],
  [0, -1, 1, 0],
  [0, 1, 0, -1],
];
const AT: Matrix = [
  [1, 1, 1, 0],
  [0, 1, -1, -1],
];
const A: Matrix = AT[0].map((_, c) => AT.map((row) => row[c]));

/** sum_i row[i] * terms[i] with coefficients 0 and +-1, as one v128 expression. */
function combine(row: number[], terms: string[]): string {
  let text = "";
  row.forEach((k, i) => {
    if (k === 0) return;
    if (k !== 1 && k !== -1) throw new Error(`a Winograd data transform has only 0 and +-1 coefficients, got ${k}`);
    if (!text) text = k === 1 ? terms[i] : `(f32x4.neg ${terms[i]})`;
    else text = `(f32x4.${k === 1 ? "add" : "sub"} ${text} ${terms[i]})`;
  });
  return text;
}

/**
 * L d L^T for the P x P locals $d_r_c, through the locals $u_r_c (d L^T): the statements
 * that set $u, and Q x Q expressions of the result (Q = L's rows).
 */
function transform2d(L: Matrix): { setU: string[]; out: string[][] } {
  const P = L[0].length;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const setU = range(P).flatMap((r) =>
    range(L.length).map(
      (c) =>
        `(local.set $u_${r}_${c} ${combine(
          L[c],
          range(P).map((j) => `(local.get $d_${r}_${j})`),
        )})`,
    ),
  );
  const out = range(L.length).map((r) =>
    range(L.length).map((c) =>
      combine(
        L[r],
        range(P).map((i) => `(local.get $u_${i}_${c})`),
      ),
    ),
  );
  return { setU, out };
}

const locals = (prefix: string, type: string, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => `(local $${prefix}_${r}_${c} ${type})`).join(" ")).join(
    "\n  ",
  );

/**
 * Walks tiles [tile0, tile0 + count): the tile's image n and its row and column (ty, tx),
 * advanced without dividing; `perTile` runs for each, then $t += 1.
 */
function tileWalk(perTile: string): string {
  return `(local.set $perImage (i32.mul (local.get $tilesY) (local.get $tilesX)))
  (local.set $n (i32.div_u (local.get $tile0) (local.get $perImage)))
  (local.set $ty (i32.div_u (i32.sub (local.get $tile0) (i32.mul (local.get $n) (local.get $perImage))) (local.get $tilesX)))
  (local.set $tx (i32.sub (i32.sub (local.get $tile0) (i32.mul (local.get $n) (local.get $perImage))) (i32.mul (local.get $ty) (local.get $tilesX))))
  (local.set $t (i32.const 0))
  (block $tilesDone (loop $tiles
    (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $count)))
    ${perTile}
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
    (if (i32.eq (local.get $tx) (local.get $tilesX)) (then
      (local.set $tx (i32.const 0))
      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
      (if (i32.eq (local.get $ty) (local.get $tilesY)) (then
        (local.set $ty (i32.const 0))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
    (br $tiles)))`;
}

/**
 * The addresses $a_r_c of a P x P patch of an NHWC image at rows 2*ty - padTop + r, columns
 * 2*tx - padLeft + c: the pixel's channels, or `outside` where the pixel is not in the image.
 */
function patchAddresses(P: number, base: string, outside: string): string {
  const lines: string[] = [
    `(local.set $y0 (i32.sub (i32.shl (local.get $ty) (i32.const 1)) (local.get $padTop)))`,
    `(local.set $x0 (i32.sub (i32.shl (local.get $tx) (i32.const 1)) (local.get $padLeft)))`,
    `(local.set $image (i32.add (local.get ${base}) (i32.mul (local.get $n) (i32.mul (local.get $height) (local.get $rowBytes)))))`,
  ];
  for (let r = 0; r < P; r++) {
    lines.push(`(local.set $yy (i32.add (local.get $y0) (i32.const ${r})))`);
    lines.push(`(local.set $row (i32.add (local.get $image) (i32.mul (local.get $yy) (local.get $rowBytes))))`);
    for (let c = 0; c < P; c++) {
      const xx = `(i32.add (local.get $x0) (i32.const ${c}))`;
      const inside = `(i32.and (i32.lt_u (local.get $yy) (local.get $height)) (i32.lt_u ${xx} (local.get $width)))`;
      lines.push(
        `(local.set $a_${r}_${c} (select (i32.add (local.get $row) (i32.mul ${xx} (local.get $pixelBytes))) (local.get ${outside}) ${inside}))`,
      );
    }
  }
  return lines.join("\n    ");
}

const TILE_LOCALS = `(local $t i32) (local $n i32) (local $ty i32) (local $tx i32) (local $perImage i32)
  (local $y0 i32) (local $x0 i32) (local $yy i32) (local $row i32) (local $image i32) (local $o i32) (local $p i32)
  (local $rowBytes i32) (local $pixelBytes i32)`;

/**
 * winogradGather{name}: the P x P patches of `src` ([n, height, width, channels]) under each
 * tile, transformed by L (L d L^T), into L's rows squared planes at dst.
 */
function gatherFunction(name: string, L: Matrix): string {
  const P = L[0].length,
    Q = L.length;
  const { setU, out } = transform2d(L);
  const loads = Array.from({ length: P * P }, (_, k) => {
    const [r, c] = [Math.floor(k / P), k % P];
    return `(local.set $d_${r}_${c} (v128.load (i32.add (local.get $a_${r}_${c}) (local.get $o))))`;
  });
  const stores = out.flat().map((e, k) => {
    const step = k === 0 ? "" : `(local.set $p (i32.add (local.get $p) (local.get $planeBytes)))\n      `;
    return `${step}(v128.store (local.get $p) ${e})`;
  });
  return `(func (export "winogradGather${name}") (param $src i32) (param $height i32) (param $width i32) (param $channels i32)
    (param $padTop i32) (param $padLeft i32) (param $tilesY i32) (param $tilesX i32) (param $tile0 i32) (param $count i32)
    (param $dst i32) (param $planeBytes i32) (param $zeros i32)
  ${TILE_LOCALS}
  ${locals("a", "i32", P, P)}
  ${locals("d", "v128", P, P)}
  ${locals("u", "v128", P, Q)}
  (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
  (local.set $rowBytes (i32.mul (local.get $width) (local.get $pixelBytes)))
  ${tileWalk(`${patchAddresses(P, "$src", "$zeros")}
    (local.set $o (i32.const 0))
    (block $channelsDone (loop $channelsLoop
      (br_if $channelsDone (i32.ge_u (local.get $o) (local.get $pixelBytes)))
      ${loads.join("\n      ")}
      ${setU.join("\n      ")}
      (local.set $p (i32.add (i32.add (local.get $dst) (i32.mul (local.get $t) (local.get $pixelBytes))) (local.get $o)))
      ${stores.join("\n      ")}
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $channelsLoop)))`)}
)`;
}

/**
 * winogradScatterOutput: A^T m A of each tile's 16 planes at src into its 2x2 pixels of dst
 * ([n, height, width, channels]). Its pads are locals left at 0: a tile's pixels start at
 * (2*ty, 2*tx) of the output itself.
 */
function scatterFunction(): string {
  const Q = 4;
  const { setU, out } = transform2d(AT);
  const loads = Array.from({ length: Q * Q }, (_, k) => {
    const [r, c] = [Math.floor(k / Q), k % Q];
    const step = k === 0 ? "" : `(local.set $p (i32.add (local.get $p) (local.get $planeBytes)))\n      `;
    return `${step}(local.set $d_${r}_${c} (v128.load (local.get $p)))`;
  });
  const stores = out.flatMap((row, r) => row.map((e, c) => `(v128.store (i32.add (local.get $a_${r}_${c}) (local.get $o)) ${e})`));
  return `(func (export "winogradScatterOutput") (param $src i32) (param $planeBytes i32) (param $channels i32)
    (param $tilesY i32) (param $tilesX i32) (param $tile0 i32) (param $count i32)
    (param $dst i32) (param $height i32) (param $width i32) (param $trash i32)
  ${TILE_LOCALS}
  (local $padTop i32) (local $padLeft i32)
  ${locals("a", "i32", 2, 2)}
  ${locals("d", "v128", Q, Q)}
  ${locals("u", "v128", Q, 2)}
  (local.set $pixelBytes (i32.shl (local.get $channels) (i32.const 2)))
  (local.set $rowBytes (i32.mul (local.get $width) (local.get $pixelBytes)))
  ${tileWalk(`${patchAddresses(2, "$dst", "$trash")}
    (local.set $o (i32.const 0))
    (block $channelsDone (loop $channelsLoop
      (br_if $channelsDone (i32.ge_u (local.get $o) (local.get $pixelBytes)))
      (local.set $p (i32.add (i32.add (local.get $src) (i32.mul (local.get $t) (local.get $pixelBytes))) (local.get $o)))
      ${loads.join("\n      ")}
      ${setU.join("\n      ")}
      ${stores.join("\n      ")}
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $channelsLoop)))`)}
)`;
}

/**
 * winogradFilterMap(src, srcStride, dst, dstStride, coefs, rowsOut, rowsIn, count): for each
 * of `count` floats (a multiple of 4), dst[r] = sum over s of coefs[r * rowsIn + s] * src[s],
 * runs srcStride and dstStride bytes apart. The filter's transforms are two of these, one
 * along each spatial axis; separate multiplies and adds in both builds, so the bits agree.
 */
function filterMapFunction(): string {
  return `(func (export "winogradFilterMap") (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
    (param $coefs i32) (param $rowsOut i32) (param $rowsIn i32) (param $count i32)
  (local $o i32) (local $end i32) (local $r i32) (local $s i32) (local $k i32) (local $acc v128)
  (local.set $end (i32.shl (local.get $count) (i32.const 2)))
  (block $valuesDone (loop $values
    (br_if $valuesDone (i32.ge_u (local.get $o) (local.get $end)))
    (local.set $r (i32.const 0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rowsOut)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $k (i32.add (local.get $coefs) (i32.shl (i32.mul (local.get $r) (local.get $rowsIn)) (i32.const 2))))
      (local.set $s (i32.const 0))
      (block $termsDone (loop $terms
        (br_if $termsDone (i32.ge_u (local.get $s) (local.get $rowsIn)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $k))
          (v128.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $s) (local.get $srcStride))) (local.get $o))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $terms)))
      (v128.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstStride))) (local.get $o)) (local.get $acc))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    (local.set $o (i32.add (local.get $o) (i32.const 16)))
    (br $values)))
)
(func (export "zeroBytes") (param $at i32) (param $bytes i32)
  (memory.fill (local.get $at) (i32.const 0) (local.get $bytes)))`;
}

/** The exported winogradGatherInput, winogradGatherGrad, winogradScatterOutput, winogradFilterMap and zeroBytes. */
export function winogradFunctions(): string {
  return [gatherFunction("Input", BT), gatherFunction("Grad", A), scatterFunction(), filterMapFunction()].join("\n");
}
