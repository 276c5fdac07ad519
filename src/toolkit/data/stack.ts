import * as tf from "@tensorflow/tfjs";
import type { FloatImage } from "./image";
import { namedError } from "./errors";

/**
 * Stacks [H, W, 3] images into one [B, H, W, 3] tensor. Images of different sizes fail
 * as torch.stack does in a default collate, with PyTorch's text (shapes shown NHWC).
 */
export function stackImages(images: FloatImage[]): tf.Tensor4D {
  if (images.length === 0) throw namedError("ValueError", "cannot collate an empty batch");
  const [h, w, c] = images[0].shape;
  images.forEach((im, i) => {
    if (im.shape[0] !== h || im.shape[1] !== w || im.shape[2] !== c) {
      throw namedError(
        "RuntimeError",
        `stack expects each tensor to be equal size, but got [${images[0].shape.join(", ")}] at entry 0 and [${im.shape.join(", ")}] at entry ${i}`,
      );
    }
  });
  const per = h * w * c;
  const data = new Float32Array(per * images.length);
  images.forEach((im, i) => data.set(im.data, i * per));
  return tf.tensor4d(data, [images.length, h, w, c]);
}
