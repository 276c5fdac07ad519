// TensorFlow.js 4.22 cannot differentiate tf.batchNorm (or batchNorm2d/3d/4d) called without
// a scale or an offset: the op hands the missing ones to the kernel as `undefined` inputs and
// the gradient tape then reads their ids ("Cannot read properties of undefined (reading
// 'id')"). Filling them in with the values the kernel assumes anyway (scale 1, offset 0)
// gives the same output and a working gradient. The ops are replaced on tfjs-core's exports,
// which `tf.*` and tf.layers read at every call.
import * as path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";

type BatchNormOp = ((x: unknown, mean: unknown, variance: unknown, offset?: unknown, scale?: unknown, eps?: number) => tfTypes.Tensor) & {
  __labFilled?: boolean;
};

const OPS = ["batchNorm", "batchNorm2d", "batchNorm3d", "batchNorm4d"] as const;

/** tfjs-core as @tensorflow/tfjs itself loads it (not necessarily hoisted next to us). */
function tfjsCore(): typeof tfTypes {
  const tfjsDir = path.dirname(require.resolve("@tensorflow/tfjs/package.json"));
  return require(require.resolve("@tensorflow/tfjs-core", { paths: [tfjsDir] }));
}

export function fillMissingBatchNormParams(): void {
  const core = tfjsCore();
  const ops = core as unknown as Record<string, BatchNormOp | undefined>;
  for (const name of OPS) {
    const original = ops[name];
    if (!original || original.__labFilled) continue;
    const filled: BatchNormOp = (x, mean, variance, offset, scale, eps) => {
      if (offset != null && scale != null) return original(x, mean, variance, offset, scale, eps);
      return core.tidy(() => {
        const m = mean instanceof core.Tensor ? mean : core.tensor(mean as number[]);
        return original(x, m, variance, offset ?? core.zerosLike(m), scale ?? core.onesLike(m), eps);
      });
    };
    filled.__labFilled = true;
    ops[name] = filled;
  }
}
