// The webgpu backend as tfjs-lab starts it: tfjs-backend-webgpu's own factory, then the
// device's errors made to throw, synchronous reads that explain themselves under Node, the
// many-input kernels split to fit the device's limits, and Pad and the binary ops made to compile past rank 4. Wrapping the factory means a
// plain tf.setBackend('webgpu') gets the same backend as the toolkit's selection.
import * as tf from "@tensorflow/tfjs";
import { surfaceDeviceErrors, type WebgpuBackendLike } from "./device-errors";
import { guardSyncReads } from "./sync-read";
import { registerManyInputKernels } from "./many-input-kernels";
import { registerHighRankPad } from "./high-rank-pad";
import { registerHighRankBinary } from "./high-rank-binary";
import { registerConv2dFilterGrad } from "./conv2d-filter-grad";
import { registerConv2dInputGrad } from "./conv2d-input-grad";
import { registerSilu } from "./silu";
import { guardEmptyShapes } from "../empty-shapes";

/** tfjs-backend-webgpu's own priority (above wasm's 2). */
const WEBGPU_PRIORITY = 3;

let wrapped = false;

function hookBackend(backend: unknown): void {
  const b = backend as WebgpuBackendLike & Parameters<typeof guardSyncReads>[0];
  guardSyncReads(b);
  surfaceDeviceErrors(b); // outermost: a device error is reported before anything else
}

/**
 * Call after '@tensorflow/tfjs-backend-webgpu' has registered its factory. Idempotent; a
 * backend already started is hooked in place. False when there is no webgpu factory.
 */
export function installWebgpuBackend(): boolean {
  const stock = tf.findBackendFactory("webgpu");
  if (!stock) return false;
  registerManyInputKernels();
  registerHighRankPad();
  registerHighRankBinary();
  registerConv2dFilterGrad();
  registerConv2dInputGrad();
  registerSilu();
  guardEmptyShapes("webgpu"); // after the others: it wraps what they registered
  if (wrapped) return true;
  wrapped = true;
  // tf.findBackend would start the backend; the engine's registry only says whether it runs.
  const started = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.webgpu;
  if (started) {
    hookBackend(started);
    return true;
  }
  tf.removeBackend("webgpu");
  tf.registerBackend(
    "webgpu",
    async () => {
      const backend = await stock();
      hookBackend(backend);
      return backend;
    },
    WEBGPU_PRIORITY,
  );
  return true;
}
