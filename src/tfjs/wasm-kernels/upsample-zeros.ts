// Gradient of a strided convolution w.r.t. its input starts from dy spread back onto the
// input grid: s-1 zeros between neighbours (a "dilated" dy), built as reshape + pad.
import type { Info, KernelCalls } from "./kernel-calls";

/** [n, h, w, c] -> [n, h*sh, w*sw, c] with dy[y, x] at (y*sh, x*sw) and zeros elsewhere. */
export function spreadWithZeros(calls: KernelCalls, dy: Info, sh: number, sw: number): Info {
  if (sh === 1 && sw === 1) return calls.reshape(dy, dy.shape);
  const [n, h, w, c] = dy.shape;
  return calls.scoped((tmp) => {
    const split = tmp(calls.reshape(dy, [n, h, 1, w, 1, c]));
    const padded = tmp(
      calls.pad(split, [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
    );
    return calls.reshape(padded, [n, h * sh, w * sw, c]);
  });
}

/**
 * Pads (or crops, for negative amounts) the spatial axes of an NHWC tensor. Returns the
 * tensor to convolve and the non-negative paddings left to give the convolution itself.
 */
export function cropForNegativePads(
  calls: KernelCalls,
  x: Info,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { input: Info; pads: [[number, number], [number, number], [number, number], [number, number]] } {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top),
    cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left),
    cropRight = Math.max(0, -right);
  const input =
    cropTop || cropBottom || cropLeft || cropRight
      ? calls.slice(x, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c])
      : calls.reshape(x, x.shape);
  return {
    input,
    pads: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
  };
}
