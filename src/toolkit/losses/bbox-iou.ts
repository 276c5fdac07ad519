import * as tf from "@tensorflow/tfjs";
import { computeDetached } from "./grad-utils";

/**
 * Complete IoU of box pairs given as `[n, 4]` (x, y, w, h), yolov5 v7.0's
 * `bbox_iou(box1, box2, CIoU=True)`: IoU − (ρ²/c² + v·α), with α computed without
 * gradient as there. Returns `[n]`.
 */
export function bboxCiou(box1: tf.Tensor2D, box2: tf.Tensor2D, eps = 1e-7): tf.Tensor1D {
  return tf.tidy(() => {
    const [x1, y1, w1, h1] = tf.unstack(box1, 1);
    const [x2, y2, w2, h2] = tf.unstack(box2, 1);
    const b1x1 = tf.sub(x1, tf.div(w1, 2)),
      b1x2 = tf.add(x1, tf.div(w1, 2));
    const b1y1 = tf.sub(y1, tf.div(h1, 2)),
      b1y2 = tf.add(y1, tf.div(h1, 2));
    const b2x1 = tf.sub(x2, tf.div(w2, 2)),
      b2x2 = tf.add(x2, tf.div(w2, 2));
    const b2y1 = tf.sub(y2, tf.div(h2, 2)),
      b2y2 = tf.add(y2, tf.div(h2, 2));

    const interW = tf.relu(tf.sub(tf.minimum(b1x2, b2x2), tf.maximum(b1x1, b2x1)));
    const interH = tf.relu(tf.sub(tf.minimum(b1y2, b2y2), tf.maximum(b1y1, b2y1)));
    const inter = tf.mul(interW, interH);
    const union = tf.add(tf.sub(tf.add(tf.mul(w1, h1), tf.mul(w2, h2)), inter), eps);
    const iou = tf.div(inter, union);

    const cw = tf.sub(tf.maximum(b1x2, b2x2), tf.minimum(b1x1, b2x1)); // enclosing box
    const ch = tf.sub(tf.maximum(b1y2, b2y2), tf.minimum(b1y1, b2y1));
    const c2 = tf.add(tf.add(tf.square(cw), tf.square(ch)), eps);
    const rho2 = tf.div(
      tf.add(tf.square(tf.sub(tf.add(b2x1, b2x2), tf.add(b1x1, b1x2))), tf.square(tf.sub(tf.add(b2y1, b2y2), tf.add(b1y1, b1y2)))),
      4,
    );
    const v = tf.mul(4 / (Math.PI * Math.PI), tf.square(tf.sub(tf.atan(tf.div(w2, h2)), tf.atan(tf.div(w1, h1)))));
    const alpha = computeDetached((vv, ii) => tf.div(vv, tf.add(tf.sub(vv, ii), 1 + eps)), v, iou);
    return tf.sub(iou, tf.add(tf.div(rho2, c2), tf.mul(v, alpha))) as tf.Tensor1D;
  });
}
