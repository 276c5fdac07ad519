// How our wasm kernels are registered: replacing a stock kernel (kept for the cases ours
// hands back), or registering a kernel of our own. The register-*.ts files use these.
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, KernelCalls } from "./kernel-calls";

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

/** Stock kernels kept for the cases our replacements hand back, per backend and name. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Registers `kernelName` for `backendName` with the kernel function `make(stock)` builds; the
 * stock kernel it replaces is kept (once, so registering again does not wrap our own) for the
 * cases ours hands back.
 */
export function replaceKernel(kernelName: string, backendName: string, make: (stock: tf.KernelConfig) => tf.KernelFunc): void {
  const key = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (!stockKernels.has(key)) {
    if (!current) return;
    stockKernels.set(key, current);
  }
  const stock = stockKernels.get(key)!;
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, setupFunc: stock.setupFunc, kernelFunc: make(stock) });
}

/** Replaces `kernelName` with `impl`, which hands back (undefined) to the stock kernel. */
export function registerWithFallback(
  kernelName: string,
  backendName: string,
  impl: (calls: KernelCalls, args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined,
): void {
  replaceKernel(
    kernelName,
    backendName,
    (stock) => (args) =>
      impl(new KernelCalls(args.backend as unknown as KernelBackendLike, backendName), {
        inputs: args.inputs,
        attrs: args.attrs ?? {},
        backend: args.backend,
      }) ?? stock.kernelFunc(args),
  );
}

/** Registers a kernel of our own (ops/ names it; no stock kernel to fall back on). */
export function registerOwnKernel(
  kernelName: string,
  backendName: string,
  impl: (calls: KernelCalls, args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[],
): void {
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) =>
      impl(new KernelCalls(backend as unknown as KernelBackendLike, backendName), { inputs, attrs: attrs ?? {} }),
  });
}
