// Replacing a kernel of tfjs-backend-webgpu for the 'webgpu' backend, keeping the stock
// one to call for the cases it gets right (and for tests that show what it got wrong).
import * as tf from "@tensorflow/tfjs";

export type KernelArgs = { inputs: tf.TensorInfo[] | Record<string, tf.TensorInfo>; backend: unknown; attrs?: unknown };
export type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

const stockKernels = new Map<string, KernelFunc>();

/** Puts make(stock) in place of the 'webgpu' kernel `name` (once; nothing if it has none). */
export function replaceWebgpuKernel(name: string, make: (stock: KernelFunc) => KernelFunc): void {
  if (stockKernels.has(name)) return;
  const stock = tf.getKernel(name, "webgpu");
  if (!stock) return;
  const stockFunc = stock.kernelFunc as unknown as KernelFunc;
  stockKernels.set(name, stockFunc);
  tf.unregisterKernel(name, "webgpu");
  tf.registerKernel({ ...stock, kernelFunc: make(stockFunc) as unknown as tf.KernelFunc });
}

/** The kernel tfjs-backend-webgpu shipped, once replaced. */
export function stockWebgpuKernel(name: string): KernelFunc | undefined {
  return stockKernels.get(name);
}

/** Runs fn with tfjs-backend-webgpu's own kernel `name` in place of ours (benchmarks compare the two). */
export async function withStockWebgpuKernel<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const stock = stockKernels.get(name);
  const ours = tf.getKernel(name, "webgpu");
  if (!stock || !ours) return fn();
  tf.unregisterKernel(name, "webgpu");
  tf.registerKernel({ ...ours, kernelFunc: stock as unknown as tf.KernelFunc });
  try {
    return await fn();
  } finally {
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel(ours);
  }
}
