// SiLU and its gradient for webgpu, one pass each, as on wasm (the toolkit's silu uses them
// where a backend registers both). Why: composed, tfjs dispatches a Sigmoid and a Multiply
// forward and seven full-size kernels backwards through x * sigmoid(x), each a dispatch and
// a buffer the size of the map; these read their inputs once and compute sigmoid themselves:
//   y = x * s,  dx = dy * s * (1 + x * (1 - s)),  s = 1 / (1 + exp(-x)) (tfjs's own sigmoid).
import * as tf from "@tensorflow/tfjs";
import type { WebgpuBackend } from "./webgpu-program";
import { SILU_GRAD_KERNEL, SILU_KERNEL } from "../custom-kernel-names";

const WORKGROUP = 64;

class ElementwiseProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;

  constructor(
    shape: number[],
    readonly variableNames: string[],
    readonly shaderKey: string,
    private readonly expression: string,
  ) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          let s = 1.0 / (1.0 + exp(-v));
          setOutputAtIndex(index, ${this.expression});
        }
      }
    `;
  }
}

type Inputs = { dy?: tf.TensorInfo; x: tf.TensorInfo };

export function registerSilu(): void {
  const kernels: [string, (i: Inputs) => [ElementwiseProgram, tf.TensorInfo[]]][] = [
    [SILU_KERNEL, ({ x }) => [new ElementwiseProgram(x.shape, ["x"], "labSilu", "v * s"), [x]]],
    [
      SILU_GRAD_KERNEL,
      ({ dy, x }) => [new ElementwiseProgram(x.shape, ["dy", "x"], "labSiluGrad", "dy[index] * s * (1.0 + v * (1.0 - s))"), [dy!, x]],
    ],
  ];
  for (const [kernelName, program] of kernels) {
    if (tf.getKernel(kernelName, "webgpu")) continue;
    tf.registerKernel({
      kernelName,
      backendName: "webgpu",
      kernelFunc: (({ inputs, backend }: { inputs: Inputs; backend: WebgpuBackend }) =>
        backend.runWebGPUProgram(...program(inputs), "float32")) as unknown as tf.KernelFunc,
    });
  }
}
