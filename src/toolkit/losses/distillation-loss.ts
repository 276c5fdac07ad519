import * as tf from "@tensorflow/tfjs";
import { bceOnProbabilitiesElementwise } from "./bce";
import { broadcastShapesLikeTorch } from "./errors";
import { detach } from "./grad-utils";

export interface DistillationLossOptions {
  /**
   * "sigmoid" (right for YOLO: objectness and classes are independent probabilities)
   * or "softmax" over the last axis (the documented mistake: it couples box, objectness
   * and class channels into one distribution).
   */
  activation: "sigmoid" | "softmax";
  /**
   * "bce": binary cross-entropy of the student's probabilities against the teacher's,
   * mean over all elements. "kl": KL(teacher ‖ student), per element (Bernoulli) for
   * sigmoid, over the last axis and averaged over rows for softmax.
   */
  kind: "bce" | "kl";
  /** Both maps are divided by T before the activation and the loss is scaled by T². */
  temperature?: number;
}

/**
 * Flattens detector maps `[bs, 3, ny, nx, no]` to `[bs, 3·ny·nx, no]` and concatenates
 * the levels, yolov5's `cat([x.view(bs, -1, no) for x in out], 1)`, so rows line up with
 * the eval output (25200 rows at 640×640).
 */
export function flattenDetectorMaps(maps: tf.Tensor[]): tf.Tensor {
  return tf.tidy(() =>
    tf.concat(
      maps.map((m) => tf.reshape(m, [m.shape[0], -1, m.shape[m.rank - 1]])),
      1,
    ),
  );
}

/**
 * Knowledge-distillation loss between a student's and a teacher's raw detector maps
 * (ultralytics/yolov5 #13008). The teacher is treated as a constant. When the rows do
 * not line up (different input sizes, e.g. 25200 vs 15120) it fails as PyTorch's
 * elementwise op between the two flattened tensors does.
 */
export function distillationLoss(studentMaps: tf.Tensor[], teacherMaps: tf.Tensor[], options: DistillationLossOptions): tf.Tensor {
  const temperature = options.temperature ?? 1;
  return tf.tidy(() => {
    const student = tf.div(flattenDetectorMaps(studentMaps), temperature);
    const teacher = tf.div(detach(flattenDetectorMaps(teacherMaps)), temperature);
    broadcastShapesLikeTorch(student.shape, teacher.shape);
    if (student.shape.some((d, i) => d !== teacher.shape[i])) {
      throw new Error(`distillationLoss: student [${student.shape}] and teacher [${teacher.shape}] must have the same shape`);
    }
    const loss =
      options.activation === "sigmoid" ? sigmoidLoss(student, teacher, options.kind) : softmaxLoss(student, teacher, options.kind);
    return tf.mul(loss, temperature * temperature);
  });
}

function sigmoidLoss(student: tf.Tensor, teacher: tf.Tensor, kind: "bce" | "kl"): tf.Tensor {
  const ps = tf.sigmoid(student);
  const pt = tf.sigmoid(teacher);
  if (kind === "bce") return tf.mean(bceOnProbabilitiesElementwise(ps, pt));
  // t·(log t − log s) + (1−t)·(log(1−t) − log(1−s)), with log σ(x) = −softplus(−x)
  const logPs = tf.neg(tf.softplus(tf.neg(student)));
  const log1mPs = tf.neg(tf.softplus(student));
  const logPt = tf.neg(tf.softplus(tf.neg(teacher)));
  const log1mPt = tf.neg(tf.softplus(teacher));
  const kl = tf.add(tf.mul(pt, tf.sub(logPt, logPs)), tf.mul(tf.sub(1, pt), tf.sub(log1mPt, log1mPs)));
  return tf.mean(kl);
}

function softmaxLoss(student: tf.Tensor, teacher: tf.Tensor, kind: "bce" | "kl"): tf.Tensor {
  if (kind === "bce") return tf.mean(bceOnProbabilitiesElementwise(tf.softmax(student), tf.softmax(teacher)));
  const logPs = tf.logSoftmax(student);
  const logPt = tf.logSoftmax(teacher);
  return tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1));
}
