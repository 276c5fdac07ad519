// The WebAssembly text of `copyRuns`: `count` runs of `runBytes` bytes from src (runs
// srcStride apart) to dst (dstStride apart), the strided copy of Slice, SplitV and Concat
// (wasm-kernels/slice.ts). Runs of whole 16-byte vectors are copied with vector loads and
// stores; others with memory.copy, one call per run.

export function copyRunsFunctions(): string {
  return `(func (export "copyRuns") (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
    (param $runBytes i32) (param $count i32)
  (local $r i32) (local $i i32)
  (if (i32.eqz (i32.and (local.get $runBytes) (i32.const 15)))
    (then
      (block $runsDone (loop $runs
        (br_if $runsDone (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $i (i32.const 0))
        (block $vectorsDone (loop $vectors
          (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $runBytes)))
          (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $vectors)))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $runs))))
    (else
      (block $runsDone (loop $runs
        (br_if $runsDone (i32.ge_u (local.get $r) (local.get $count)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $runBytes))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $runs)))))
)`;
}
