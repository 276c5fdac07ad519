// Runs code under tf.profile and returns every kernel it ran, and the first kernel that
// threw with the inputs it was given (what %%trace shows). A failing kernel throws where it
// was called, also under the profiler (see hooks.ts, throwProfiledKernelErrors).
import { subscribeTfHooks } from "./hooks";
import { engineInternals, loadTf, type Tensor } from "./internals";

export interface ProfiledKernel {
  name: string;
  inputShapes: (number[] | null)[];
  outputShapes: number[][];
  /** A number of milliseconds, or the backend's note when it cannot time a kernel. */
  kernelTimeMs: unknown;
  totalBytesSnapshot: number;
}

export interface KernelFailure {
  name: string;
  inputs: Record<string, Tensor | null>;
  error: unknown;
}

export interface KernelProfile {
  kernels: ProfiledKernel[];
  peakBytes: number;
  newTensors: number;
  newBytes: number;
  /** The first kernel that threw while `fn` ran. */
  failure?: KernelFailure;
}

/**
 * Profiles `fn` (which should catch its own errors, so that TensorFlow.js finishes the
 * profile; one it throws is rethrown after the engine is restored).
 */
export async function profileKernels(fn: () => Promise<void>): Promise<KernelProfile> {
  let failure: KernelFailure | undefined;
  const unsubscribe = subscribeTfHooks({
    name: "kernel profile",
    throwProfiledKernelErrors: true,
    kernelEnd(call, thrown) {
      if (thrown && !failure) failure = { name: call.name, inputs: call.inputs, error: thrown.error };
    },
  });
  try {
    const info = await loadTf().profile(async () => {
      await fn();
      return [];
    });
    return {
      kernels: info.kernels as unknown as ProfiledKernel[],
      peakBytes: info.peakBytes,
      newTensors: info.newTensors,
      newBytes: info.newBytes,
      failure,
    };
  } finally {
    unsubscribe();
    // tf.profile leaves the flag set when its function throws.
    engineInternals().state.profiling = false;
  }
}

/** How many kernels the profile now running has recorded (places other records among them). */
export function profiledKernelCount(): number {
  return engineInternals().state.activeProfile.kernels.length;
}
