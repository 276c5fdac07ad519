import * as tf from "@tensorflow/tfjs";

/**
 * Computes `fn(...inputs)` as a constant for autodiff, like PyTorch's `.detach()` or
 * `with torch.no_grad()`. tf.js has no stop-gradient op; a custom gradient that
 * returns zeros does the job, and the ops inside run untaped (so ops without a
 * gradient, such as scatterND, may be used in `fn`).
 */
export function computeDetached(fn: (...inputs: tf.Tensor[]) => tf.Tensor, ...inputs: tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return {
      value: fn(...xs),
      gradFunc: () => xs.map((x) => tf.zerosLike(x)),
    };
  });
  return op(...inputs);
}

/** `x.detach()`: the same values, no gradient. */
export function detach<T extends tf.Tensor>(x: T): T {
  return computeDetached((v) => v.clone(), x) as T;
}
