// Waiting until the device has run every op queued so far. On webgpu an op returns once its
// dispatch is recorded: tfjs-backend-webgpu batches dispatches in a command encoder and
// submits them in groups, and the GPU runs them later. A timer that stops when the ops
// return measures their dispatch, not their work (as torch.cuda.synchronize() exists for).
import * as tf from "@tensorflow/tfjs";

interface QueueingBackend {
  commandEncoder: unknown | null;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  device: { queue: { onSubmittedWorkDone(): Promise<void> } };
}

/** True where ops return before their work is done (webgpu; webgl does not run under Node). */
export function backendRunsAsynchronously(name = tf.getBackend()): boolean {
  return name === "webgpu";
}

/**
 * Resolves once the active backend has finished all the work queued so far. Synchronous
 * backends (cpu, wasm, tensorflow) are done when an op returns: nothing to wait for.
 */
export async function deviceWorkDone(): Promise<void> {
  if (backendRunsAsynchronously()) {
    const backend = tf.backend() as unknown as QueueingBackend;
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue(); // dispatches still in the encoder are not on the queue yet
    }
    await backend.device.queue.onSubmittedWorkDone();
  }
}
