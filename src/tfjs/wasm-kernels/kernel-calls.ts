// Small helpers for writing a kernel out of other kernels of the same backend: call a
// registered kernel directly on TensorInfos (no tape, no engine bookkeeping) and free
// intermediates as soon as they are consumed.
import * as tf from "@tensorflow/tfjs";
import { type SimdKernels, simdKernelsFor, wasmBackendMemory } from "../wasm-simd/load";

export type Info = tf.TensorInfo;
export type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

/** Backend-level handle: the few methods of a KernelBackend the composed kernels use. */
export interface KernelBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  /** wasm only: a new tensor on the heap (contents undefined). */
  makeOutput?(shape: number[], dtype: tf.DataType): Info;
  /** wasm only: a view of a tensor's heap memory; stale after any allocation. */
  typedArrayFromHeap?(info: Info): tf.TypedArray;
}

export class KernelCalls {
  constructor(
    private readonly backend: KernelBackendLike,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
    const config = tf.getKernel(kernelName, this.backendName);
    if (!config) throw new Error(`kernel ${kernelName} is not registered for backend ${this.backendName}`);
    const out = config.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend as never,
      attrs: attrs as tf.NamedAttrMap,
    });
    return Array.isArray(out) ? out[0] : out;
  }

  /** Whether this backend's tensors can be read and written in place (wasm). */
  get hasHeap(): boolean {
    return typeof this.backend.makeOutput === "function" && typeof this.backend.typedArrayFromHeap === "function";
  }
  /** The wasm backend's memory, for kernels of our own that work on its heap in place. */
  get wasmMemory(): WebAssembly.Memory | undefined {
    return wasmBackendMemory(this.backend);
  }
  /** Our SIMD kernels bound to the wasm backend's memory (undefined on other backends or unassembled). */
  get simd(): SimdKernels | undefined {
    const memory = this.wasmMemory;
    return memory && simdKernelsFor(memory);
  }
  /** An uninitialised float32 tensor on the heap (wasm only). */
  alloc(shape: number[]): Info {
    return this.backend.makeOutput!(shape, "float32");
  }
  /** A new tensor of any dtype on the heap (wasm only; contents undefined). */
  backendMakeOutput(shape: number[], dtype: tf.DataType): Info {
    return this.backend.makeOutput!(shape, dtype);
  }
  /** The contents of a float32 or int32 tensor, in place (stale after any allocation). */
  heapOf(info: Info): Float32Array | Int32Array {
    return this.backend.typedArrayFromHeap!(info) as Float32Array | Int32Array;
  }
  /** The float32 contents of `info`, in place. Take it after the last allocation: growing the heap detaches it. */
  heap(info: Info): Float32Array {
    return this.backend.typedArrayFromHeap!(info) as Float32Array;
  }

  free(...infos: Info[]): void {
    for (const info of infos) this.backend.disposeData(info.dataId);
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run("Transpose", { x }, { perm });
  }
  reshape(x: Info, shape: number[]): Info {
    return this.run("Reshape", { x }, { shape });
  }
  pad(x: Info, paddings: number[][]): Info {
    return this.run("PadV2", { x }, { paddings, constantValue: 0 });
  }
  slice(x: Info, begin: number[], size: number[]): Info {
    return this.run("Slice", { x }, { begin, size });
  }
  reverse(x: Info, dims: number[]): Info {
    return this.run("Reverse", { x }, { dims });
  }
  sum(x: Info, axis: number[]): Info {
    return this.run("Sum", { x }, { axis, keepDims: false });
  }
  conv2d(x: Info, filter: Info, pads: Pads4, dilations: [number, number] = [1, 1]): Info {
    return this.run(
      "Conv2D",
      { x, filter },
      {
        strides: [1, 1],
        pad: pads,
        dataFormat: "NHWC",
        dilations,
        dimRoundingMode: undefined,
      },
    );
  }
  /** a [m, k] times b [k, n] as a 1x1 Conv2D (XNNPACK GEMM, threaded): [m, n]. */
  matMul(a: Info, b: Info): Info {
    const [m, k] = a.shape,
      n = b.shape[1];
    return this.scoped((tmp) => {
      const a4 = tmp(this.reshape(a, [1, 1, m, k]));
      const b4 = tmp(this.reshape(b, [1, 1, k, n]));
      const out = tmp(
        this.conv2d(a4, b4, [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      );
      return this.reshape(out, [m, n]);
    });
  }
  depthwiseConv2d(x: Info, filter: Info, pads: Pads4): Info {
    return this.run(
      "DepthwiseConv2dNative",
      { x, filter },
      {
        strides: [1, 1],
        pad: pads,
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined,
      },
    );
  }

  /** Run `f`; every Info passed through `tmp` is freed afterwards (also when `f` throws). */
  scoped<T>(f: (tmp: (i: Info) => Info) => T): T {
    const owned: Info[] = [];
    try {
      return f((i) => {
        owned.push(i);
        return i;
      });
    } finally {
      this.free(...owned);
    }
  }
}
