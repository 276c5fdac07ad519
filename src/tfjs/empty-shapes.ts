// Kernels with an input or output of no elements, answered without running the backend's
// code. A window larger than the image with "valid" padding gives an output of width 0, an
// empty batch gives inputs of size 0. On wasm the stock MaxPool, AvgPool and Transpose trap
// there ("memory access out of bounds", "divide by zero"), and on the threaded build a trap
// left the backend broken for every later kernel (it lost the session's tensors); our
// convolutions' walks assume at least one output pixel (one hung, one wrote out of bounds).
// On webgpu the gradients failed with "no overload matched for createBuffer" or a validation
// error. The answers are the mathematical ones, as the cpu backend gives them: an empty
// output, or a gradient of zeros (a sum over no terms). Each guard wraps whatever kernel is
// registered when it is installed (ours or the stock one), so each backend installs them
// after its other registrations (wasm-kernels/register.ts, webgpu/install.ts).
import * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;
type Args = { inputs: Record<string, Info>; attrs: tf.NamedAttrMap };

const size = tf.util.sizeFromShape;
const empty = (...infos: (Info | undefined)[]) => infos.some((i) => i !== undefined && size(i.shape) === 0);

function poolOutputShape(x: Info, attrs: tf.NamedAttrMap): number[] {
  const a = attrs as unknown as tf.MaxPoolAttrs;
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  ).outShape;
}

function convOutputShape(x: Info, filter: Info, attrs: tf.NamedAttrMap, depthwise: boolean): number[] {
  const a = attrs as unknown as tf.Conv2DAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? "NHWC"),
  );
  return info.outShape;
}

function reducedShape(x: Info, attrs: tf.NamedAttrMap): number[] {
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  return keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
}

/** A pool's output shape where its input or output is empty. */
function pooled({ inputs: { x }, attrs }: Args): number[] | undefined {
  const out = poolOutputShape(x, attrs);
  return empty(x) || size(out) === 0 ? out : undefined;
}

/** A convolution's output shape where its input, filter or output is empty. */
function convolved({ inputs: { x, filter }, attrs }: Args, depthwise: boolean): number[] | undefined {
  const out = convOutputShape(x, filter, attrs, depthwise);
  return empty(x, filter) || size(out) === 0 ? out : undefined;
}

/**
 * For each kernel: the shape of the zero (or empty) tensor it answers with where an input or
 * its output has no elements, or undefined where it runs as usual.
 */
const EMPTY_ANSWERS: Record<string, (args: Args) => number[] | undefined> = {
  MaxPool: pooled,
  AvgPool: pooled,
  MaxPoolGrad: ({ inputs: { dy, input } }) => (empty(dy, input) ? [...input.shape] : undefined),
  AvgPoolGrad: ({ inputs: { dy, input } }) => (empty(dy, input) ? [...input.shape] : undefined),
  Conv2D: (args) => convolved(args, false),
  Conv2DBackpropInput: ({ inputs: { dy, filter }, attrs }) =>
    empty(dy, filter) ? [...(attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape] : undefined,
  Conv2DBackpropFilter: ({ inputs: { x, dy }, attrs }) =>
    empty(x, dy) ? [...(attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape] : undefined,
  DepthwiseConv2dNative: (args) => convolved(args, true),
  // A sum over no elements is 0; so is a mean, as TensorFlow.js's cpu backend has it (PyTorch: NaN).
  Sum: ({ inputs: { x }, attrs }) => (empty(x) ? reducedShape(x, attrs) : undefined),
  Mean: ({ inputs: { x }, attrs }) => (empty(x) ? reducedShape(x, attrs) : undefined),
  Transpose: ({ inputs: { x }, attrs }) =>
    empty(x) ? (attrs as unknown as tf.TransposeAttrs).perm.map((axis) => x.shape[axis]) : undefined,
};

export const EMPTY_SHAPE_GUARDED_KERNELS = Object.keys(EMPTY_ANSWERS);

/** What the backends make tensors with: wasm on its heap (makeOutput), the others from values. */
interface OutputMaker {
  makeOutput?(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap?(info: Info): Float32Array | Int32Array | Uint8Array;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): Info;
}

function zerosOn(backend: OutputMaker, shape: number[], dtype: tf.DataType): Info {
  if (backend.makeOutput && backend.typedArrayFromHeap) {
    const out = backend.makeOutput(shape, dtype);
    if (size(shape) > 0) backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  if (!backend.makeTensorInfo) throw new Error("empty-shape guard: the backend has neither makeOutput nor makeTensorInfo");
  return backend.makeTensorInfo(shape, dtype, tf.util.makeZerosTypedArray(size(shape), dtype) as tf.TypedArray);
}

/** The guards installed, so that installing again (registration is idempotent) does not nest them. */
const guards = new WeakSet<tf.KernelFunc>();

/** Wraps each kernel of EMPTY_ANSWERS registered for `backendName` in its guard. */
export function guardEmptyShapes(backendName: string): void {
  for (const [kernelName, answer] of Object.entries(EMPTY_ANSWERS)) {
    const current = tf.getKernel(kernelName, backendName);
    if (!current || guards.has(current.kernelFunc)) continue;
    const guarded: tf.KernelFunc = (args) => {
      const shape = answer({ inputs: args.inputs as Record<string, Info>, attrs: args.attrs ?? {} });
      // Every kernel here gives its first input's dtype.
      const dtype = Object.values(args.inputs)[0]?.dtype;
      if (shape === undefined || dtype === undefined || dtype === "string") return current.kernelFunc(args);
      return zerosOn(args.backend as OutputMaker, shape, dtype);
    };
    guards.add(guarded);
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ ...current, kernelFunc: guarded });
  }
}
