// Whether this JavaScript engine runs WebAssembly relaxed SIMD, which our fused-multiply-add
// kernels need (multiply-add.ts). V8 ships it from version 11.4 (Node 22); the V8 of Node 20
// has it behind --experimental-wasm-relaxed-simd. V8 reads that flag when it validates or
// compiles a module, so setting it at run time, before our module is compiled, is enough.
// TFJS_LAB_RELAXED_SIMD=0 keeps the plain SIMD128 kernels and leaves V8's flags alone.
import * as v8 from "node:v8";

/** The smallest module that needs the feature: one function returning f32x4.relaxed_madd of its three v128 arguments. */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a,
  0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

export interface RelaxedSimdSupport {
  /** Whether the fused kernels can be compiled here. */
  usable: boolean;
  /** Why, in a few words, for the backend report. */
  why: string;
}

let decided: RelaxedSimdSupport | undefined;

/** Turns the feature on where the engine has it behind a flag; true if modules using it now validate. */
export function enableRelaxedSimd(): boolean {
  if (WebAssembly.validate(PROBE)) return true;
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return WebAssembly.validate(PROBE);
}

/** Decided once per process: relaxed SIMD as shipped, enabled by the flag, switched off, or missing. */
export function relaxedSimdSupport(): RelaxedSimdSupport {
  if (decided) return decided;
  if (process.env.TFJS_LAB_RELAXED_SIMD === "0") {
    decided = { usable: false, why: "relaxed SIMD off (TFJS_LAB_RELAXED_SIMD=0)" };
  } else if (WebAssembly.validate(PROBE)) {
    decided = { usable: true, why: "relaxed SIMD" };
  } else if (enableRelaxedSimd()) {
    decided = { usable: true, why: "relaxed SIMD, enabled with --experimental-wasm-relaxed-simd" };
  } else {
    decided = { usable: false, why: `no relaxed SIMD in V8 ${process.versions.v8}` };
  }
  return decided;
}
