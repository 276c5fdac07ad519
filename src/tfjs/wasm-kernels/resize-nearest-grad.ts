// ResizeNearestNeighborGrad for wasm in JS over the heap, where the resize was an upsampling
// by whole powers of two (YOLOv5's nn.Upsample(scale_factor=2)): each dx pixel is the sum of
// the 2^a x 2^b dy pixels the forward pass copied it to. Source rows are then r >> a exactly,
// whatever precision the forward pass computed its scale in. wasm's own kernel took about
// 35 ns an element (10 ms of a YOLOv5n step); this takes one pass over dy. Other resizes
// (corners aligned, half-pixel centres, other ratios) keep the stock kernel.
import type * as tf from "@tensorflow/tfjs";
import type { Info, KernelCalls } from "./kernel-calls";

/** log2 of out / in when it is a whole power of two (0 included), else undefined. */
function powerOfTwoRatio(outSize: number, inSize: number): number | undefined {
  if (inSize <= 0 || outSize % inSize !== 0) return undefined;
  const k = outSize / inSize;
  return (k & (k - 1)) === 0 ? Math.log2(k) : undefined;
}

export function resizeNearestGradHeap(
  calls: KernelCalls,
  images: Info,
  dy: Info,
  attrs: tf.ResizeNearestNeighborGradAttrs,
): Info | undefined {
  if (!calls.hasHeap || attrs.alignCorners || attrs.halfPixelCenters || dy.dtype !== "float32") return undefined;
  if (images.shape.length !== 4 || dy.shape.length !== 4) return undefined;
  const [N, H, W, C] = images.shape;
  const [, oh, ow] = dy.shape;
  const a = powerOfTwoRatio(oh, H),
    b = powerOfTwoRatio(ow, W);
  if (a === undefined || b === undefined || dy.shape[0] !== N || dy.shape[3] !== C) return undefined;
  const dx = calls.alloc(images.shape);
  const g = calls.heap(dy),
    out = calls.heap(dx);
  out.fill(0);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < oh; y++) {
      const rowIn = (n * oh + y) * ow * C,
        rowOut = (n * H + (y >> a)) * W * C;
      for (let x = 0; x < ow; x++) {
        const from = rowIn + x * C,
          to = rowOut + (x >> b) * C;
        for (let c = 0; c < C; c++) out[to + c] += g[from + c];
      }
    }
  }
  return dx;
}
