// The empty-shape cases (helpers/empty-shape-cases.ts) on webgpu (SwiftShader), every op on
// the device.
import { requireSwiftShader, useWebgpu } from "./swiftshader";
import { before } from "node:test";
import { emptyShapeTests } from "../helpers/empty-shape-cases";

before(async () => {
  requireSwiftShader();
  await useWebgpu();
});

emptyShapeTests("webgpu", "webgpu");
