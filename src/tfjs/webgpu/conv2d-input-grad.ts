// Conv2DBackpropInput for webgpu, as a tiled matrix product.
//
// Why: tfjs-backend-webgpu runs its naive Conv2DDerInputProgram by default (its flag
// WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE is true, with a TODO to try the tiled one): each thread
// computes one dx element and walks every filter tap and output channel for it, reading dy
// and the filter straight from storage with no reuse between threads. Here
//   dx[m, ci] = sum over k of dy'[m, k] * W'[k, ci],
//   m = (n, ih, iw), k = (kh, kw, co), dy'[m, k] = dy[n, (ih + padT - kh) / sh, (iw + padL - kw) / sw, co]
// where that division is exact and inside dy (else 0), and W'[k, ci] = W[kh, kw, ci, co], is
// tiled 32 x 32 over (m, ci), one workgroup per tile, the depth taken 16 at a time through
// workgroup memory, as conv2d-filter-grad.ts does for the filter, and as tfjs-backend-webgpu's
// own forward convolution (Conv2DMMProgram) does. co is the fastest part of k, so neighbouring
// threads read neighbouring floats of dy and of the filter.
//
// Stride 1 only: at stride s only one tap in s * s meets an output pixel, and the product
// would multiply the zeros of the others (3 in 4 at YOLOv5's stride 2), which the naive
// program skips; strided convolutions keep the stock kernel. Not yet timed on a GPU
// (`npm run bench -- gpu` times both on YOLOv5n's shapes); on SwiftShader, a CPU, at a
// 64 px image, ours was 2.5 to 5 times slower, which says little about a GPU.
import * as tf from "@tensorflow/tfjs";
import { type KernelFunc, replaceWebgpuKernel } from "./kernel-replacements";
import { type ConvInfo, intUniforms, type WebgpuBackend } from "./webgpu-program";

/** Tile of dx (pixels and channels) per workgroup, and depth per step through workgroup memory. */
const TILE = 32;
const STEP = 16;

class InputGradProgram {
  variableNames = ["dy", "weights"];
  outputShape: number[];
  dispatchLayout = { x: [3], y: [1, 2], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [16, 16, 1];
  uniforms =
    "M : i32, K : i32, Ci : i32, Co : i32, KW : i32, H : i32, W : i32, OH : i32, OW : i32, strideH : i32, strideW : i32, padT : i32, padL : i32, steps : i32,";
  shaderKey = "labConv2DBackpropInputGemm";

  constructor(info: ConvInfo) {
    this.outputShape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
    const m = info.batchSize * info.inHeight * info.inWidth;
    this.dispatch = [Math.ceil(info.inChannels / TILE), Math.ceil(m / TILE), 1];
  }

  getUserCode(): string {
    // Loop bounds come from uniforms only, so the barriers sit in uniform control flow.
    return `
      var<workgroup> aTile : array<array<f32, ${STEP}>, ${TILE}>;
      var<workgroup> bTile : array<array<f32, ${TILE}>, ${STEP}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = ty * 16 + tx;
        let ciBase = i32(workgroupId.x) * ${TILE};
        let mBase = i32(workgroupId.y) * ${TILE};
        var a00 = 0.0; var a01 = 0.0; var a10 = 0.0; var a11 = 0.0;
        for (var step = 0; step < uniforms.steps; step = step + 1) {
          let k0 = step * ${STEP};
          for (var j = 0; j < ${(TILE * STEP) / 256}; j = j + 1) {
            let e = lid + 256 * j;
            // dy' at row mBase + e / STEP, depth k0 + e % STEP.
            let m = mBase + e / ${STEP};
            let ka = k0 + e % ${STEP};
            var av = 0.0;
            if (m < uniforms.M && ka < uniforms.K) {
              let iw = m % uniforms.W;
              let t = m / uniforms.W;
              let ih = t % uniforms.H;
              let n = t / uniforms.H;
              let co = ka % uniforms.Co;
              let t2 = ka / uniforms.Co;
              let kw = t2 % uniforms.KW;
              let kh = t2 / uniforms.KW;
              let hs = ih + uniforms.padT - kh;
              let ws = iw + uniforms.padL - kw;
              if (hs >= 0 && ws >= 0 && hs % uniforms.strideH == 0 && ws % uniforms.strideW == 0) {
                let oh = hs / uniforms.strideH;
                let ow = ws / uniforms.strideW;
                if (oh < uniforms.OH && ow < uniforms.OW) {
                  av = dy[((n * uniforms.OH + oh) * uniforms.OW + ow) * uniforms.Co + co];
                }
              }
            }
            aTile[e / ${STEP}][e % ${STEP}] = av;
            // W' at depth k0 + e / TILE, channel ciBase + e % TILE.
            let kb = k0 + e / ${TILE};
            let ci = ciBase + e % ${TILE};
            var bv = 0.0;
            if (kb < uniforms.K && ci < uniforms.Ci) {
              let co = kb % uniforms.Co;
              let tap = kb / uniforms.Co;
              bv = weights[(tap * uniforms.Ci + ci) * uniforms.Co + co];
            }
            bTile[e / ${TILE}][e % ${TILE}] = bv;
          }
          workgroupBarrier();
          for (var r = 0; r < ${STEP}; r = r + 1) {
            let x0 = aTile[ty][r];
            let x1 = aTile[ty + 16][r];
            let w0 = bTile[r][tx];
            let w1 = bTile[r][tx + 16];
            a00 = a00 + x0 * w0;
            a01 = a01 + x0 * w1;
            a10 = a10 + x1 * w0;
            a11 = a11 + x1 * w1;
          }
          workgroupBarrier();
        }
        let m0 = mBase + ty;
        let m1 = m0 + 16;
        let c0 = ciBase + tx;
        let c1 = c0 + 16;
        if (m0 < uniforms.M && c0 < uniforms.Ci) { result[m0 * uniforms.Ci + c0] = a00; }
        if (m0 < uniforms.M && c1 < uniforms.Ci) { result[m0 * uniforms.Ci + c1] = a01; }
        if (m1 < uniforms.M && c0 < uniforms.Ci) { result[m1 * uniforms.Ci + c0] = a10; }
        if (m1 < uniforms.M && c1 < uniforms.Ci) { result[m1 * uniforms.Ci + c1] = a11; }
      }
    `;
  }
}

interface InputGradAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

function gemmInputGrad(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as InputGradAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad as "same",
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
    ) as unknown as ConvInfo;
    const strided = info.strideHeight !== 1 || info.strideWidth !== 1;
    if (strided || info.dataFormat !== "channelsLast" || dy.dtype !== "float32" || filter.dtype !== "float32") return stock(args);
    const k = info.filterHeight * info.filterWidth * info.outChannels;
    const uniforms = intUniforms([
      info.batchSize * info.inHeight * info.inWidth,
      k,
      info.inChannels,
      info.outChannels,
      info.filterWidth,
      info.inHeight,
      info.inWidth,
      info.outHeight,
      info.outWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      Math.ceil(k / STEP),
    ]);
    return (args.backend as WebgpuBackend).runWebGPUProgram(new InputGradProgram(info), [dy, filter], "float32", uniforms);
  };
}

export function registerConv2dInputGrad(): void {
  replaceWebgpuKernel("Conv2DBackpropInput", gemmInputGrad);
}
