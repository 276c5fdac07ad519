// tfjs-backend-webgpu's Pad writes WGSL that does not compile for rank 5 and up ("cannot
// index type 'vec5'"), and a 5-D pad is what the gradient of a slice of YOLOv5's
// [bs, 3, ny, nx, no] maps runs. Such a pad is done one padded axis at a time, each as a
// rank-3 pad of [outer, axis, inner], which the stock kernel compiles.
import type * as tf from "@tensorflow/tfjs";
import { type KernelFunc, replaceWebgpuKernel } from "./kernel-replacements";

/** The highest rank the stock Pad program compiles. */
const MAX_STOCK_RANK = 4;

interface RefCountingBackend {
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

interface PadAttrs {
  paddings: [number, number][];
  constantValue: number;
}

const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** A view of x with another shape, as the Reshape kernel makes one (shares the data). */
function reshaped(backend: RefCountingBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

function axisByAxisPad(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { paddings, constantValue } = args.attrs as PadAttrs;
    if (x.shape.length <= MAX_STOCK_RANK) return stock(args);
    const backend = args.backend as RefCountingBackend;
    let current = reshaped(backend, x, x.shape);
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const shape = current.shape;
      const outer = product(shape.slice(0, axis)),
        inner = product(shape.slice(axis + 1));
      const flat = reshaped(backend, current, [outer, shape[axis], inner]);
      const padded = stock({
        inputs: { x: flat },
        backend,
        attrs: {
          paddings: [
            [0, 0],
            [before, after],
            [0, 0],
          ],
          constantValue,
        },
      }) as tf.TensorInfo;
      backend.disposeData(flat.dataId);
      backend.disposeData(current.dataId);
      const next = [...shape];
      next[axis] += before + after;
      current = reshaped(backend, padded, next);
      backend.disposeData(padded.dataId);
    });
    return current;
  };
}

export function registerHighRankPad(): void {
  replaceWebgpuKernel("PadV2", axisByAxisPad);
}
