// SiLU's gradient for webgpu in one pass, as on wasm (the toolkit's silu uses it where a
// backend registers it). Why: differentiated op by op, tfjs runs seven full-size kernels
// backwards through x * sigmoid(x), each a dispatch and a buffer the size of the map; this
// reads dy, x and sigmoid(x) once and writes dx = dy * s * (1 + x * (1 - s)).
import * as tf from "@tensorflow/tfjs";
import { SILU_GRAD_KERNEL } from "../../toolkit/ops/silu";

const WORKGROUP = 64;

class SiluGradProgram {
  variableNames = ["dy", "x", "sig"];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  shaderKey = "labSiluGrad";

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let s = sig[index];
          setOutputAtIndex(index, dy[index] * s * (1.0 + x[index] * (1.0 - s)));
        }
      }
    `;
  }
}

interface WebgpuBackend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: string): tf.TensorInfo;
}

export function registerSiluGrad(): void {
  if (tf.getKernel(SILU_GRAD_KERNEL, "webgpu")) return;
  tf.registerKernel({
    kernelName: SILU_GRAD_KERNEL,
    backendName: "webgpu",
    kernelFunc: (({ inputs, backend }: { inputs: { dy: tf.TensorInfo; x: tf.TensorInfo; s: tf.TensorInfo }; backend: WebgpuBackend }) =>
      backend.runWebGPUProgram(
        new SiluGradProgram(inputs.dy.shape),
        [inputs.dy, inputs.x, inputs.s],
        "float32",
      )) as unknown as tf.KernelFunc,
  });
}
