// acc + x*b on four floats, as WebAssembly text, in the two forms the GEMM-like kernels are
// assembled with. Relaxed SIMD's f32x4.relaxed_madd compiles to one fused multiply-add on
// CPUs that have it (x86 FMA3, ARM NEON) and to a multiply and an add elsewhere; the
// multiply-add pair of plain SIMD128 is two instructions everywhere. On YOLOv5n's gradient
// shapes the fused form ran 30-40% faster (`node dist/bench/run.js conv`).

/** (acc, x, b) -> text of acc + x*b; each argument is an expression of type v128. */
export type MultiplyAdd = (acc: string, x: string, b: string) => string;

export const fusedMultiplyAdd: MultiplyAdd = (acc, x, b) => `(f32x4.relaxed_madd ${x} ${b} ${acc})`;

export const separateMultiplyAdd: MultiplyAdd = (acc, x, b) => `(f32x4.add ${acc} (f32x4.mul ${x} ${b}))`;
