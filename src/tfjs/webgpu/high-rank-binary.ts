// tfjs-backend-webgpu runs a binary op between a tensor of rank 2 or more and a 1-D tensor
// of fewer than 128 values with that vector in workgroup memory, indexing the output's
// coordinates with coords[rank - 1]: for rank 5 and up the coordinates are a struct, and the
// WGSL does not compile ("cannot index type 'vec5'"). YOLOv5's maps are [bs, 3, ny, nx, no],
// and `map * vector` over their last axis is what its loss and Detect run. Broadcasting a
// vector over the last axis is the same as over the rows of [rest, last], so such an op runs
// on that 2-D view, which the stock kernel compiles.
import type * as tf from "@tensorflow/tfjs";
import { type KernelFunc, replaceWebgpuKernel } from "./kernel-replacements";

/** The kernels made by tfjs-backend-webgpu's binaryKernelFunc (BinaryOpProgram, inputs a and b). */
const BINARY_KERNELS = [
  "Add",
  "Atan2",
  "Equal",
  "FloorDiv",
  "Greater",
  "GreaterEqual",
  "Less",
  "LessEqual",
  "LogicalAnd",
  "LogicalOr",
  "Maximum",
  "Minimum",
  "Mod",
  "Multiply",
  "NotEqual",
  "Pow",
  "RealDiv",
  "SquaredDifference",
  "Sub",
];

/** BinaryOpProgram's condition for its workgroup-memory form, and the rank its WGSL stops compiling at. */
const SHARED_VECTOR_LIMIT = 128;
const FIRST_BROKEN_RANK = 5;

interface RefCountingBackend {
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

function view(backend: RefCountingBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** The vector's length when (big, vector) is the pair the stock kernel miscompiles. */
function brokenPair(big: tf.TensorInfo, vector: tf.TensorInfo): boolean {
  const n = vector.shape[0];
  const last = big.shape[big.shape.length - 1];
  return (
    big.shape.length >= FIRST_BROKEN_RANK && vector.shape.length === 1 && n > 1 && n < SHARED_VECTOR_LIMIT && (last === n || last === 1)
  );
}

function onRowsView(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const bigIsA = brokenPair(a, b);
    if (!bigIsA && !brokenPair(b, a)) return stock(args);
    const backend = args.backend as RefCountingBackend;
    const [big, vector] = bigIsA ? [a, b] : [b, a];
    const last = big.shape[big.shape.length - 1];
    const rows = view(backend, big, [big.shape.reduce((p, d) => p * d, 1) / last, last]);
    const out = stock({ ...args, inputs: bigIsA ? { a: rows, b: vector } : { a: vector, b: rows } }) as tf.TensorInfo;
    backend.disposeData(rows.dataId);
    const shape = [...big.shape.slice(0, -1), vector.shape[0]];
    const result = view(backend, out, shape);
    backend.disposeData(out.dataId);
    return result;
  };
}

export function registerHighRankBinary(): void {
  for (const name of BINARY_KERNELS) replaceWebgpuKernel(name, onRowsView);
}
