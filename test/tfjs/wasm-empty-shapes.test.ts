// The empty-shape cases (helpers/empty-shape-cases.ts) on the threaded wasm backend, where a
// trap used to break every later kernel.
process.env.TFJS_LAB_WASM_THREADS = "2";
import { before } from "node:test";
import { switchBackend } from "../../src/tfjs";
import { emptyShapeTests } from "../helpers/empty-shape-cases";

before(async () => {
  await switchBackend("wasm");
});

emptyShapeTests("wasm", "wasm, 2 threads");
