// What our WGSL kernels need of tfjs-backend-webgpu: its backend's program runner and the
// convolution geometry TensorFlow.js computes (backend_util.computeConv2DInfo), typed here
// once for every program of ours.
import type * as tf from "@tensorflow/tfjs";

export interface WebgpuBackend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: string, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** The fields of TensorFlow.js's Conv2DInfo our programs read. */
export interface ConvInfo {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number };
  dataFormat: string;
  filterShape: [number, number, number, number];
}

/** Integer uniforms in the order a program declares them. */
export function intUniforms(values: number[]): { type: string; data: number[] }[] {
  return values.map((v) => ({ type: "int32", data: [v] }));
}
