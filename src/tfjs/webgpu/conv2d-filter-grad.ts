// Conv2DBackpropFilter for webgpu, as a split-K matrix product.
//
// Why: tfjs-backend-webgpu's Conv2DDerFilterProgram gives each thread one filter element
// and loops over every batch and output pixel for it: YOLOv5n's first layer at batch 16,
// 640 px has 1,728 filter elements, so 1,728 threads each sum 1.6 million products, and a
// GPU with tens of thousands of lanes sits nearly idle. Here dW[k, co] = sum over pixels p
// of im2col(x)[p, k] * dy[p, co] (k = (kh, kw, ci), p = (n, oh, ow)) is tiled 32 x 32 over
// (k, co) with the pixel axis cut into chunks, one workgroup per tile and chunk, through
// workgroup memory; the chunks' partial sums are added by the stock Sum kernel. im2col is
// never materialised: each tile load computes its x index from (p, k).
import * as tf from "@tensorflow/tfjs";
import { type KernelFunc, replaceWebgpuKernel } from "./kernel-replacements";
import { type ConvInfo, intUniforms, type WebgpuBackend } from "./webgpu-program";

/** Tile of the output (k and co) per workgroup, and pixels per step through workgroup memory. */
const TILE = 32;
const STEP = 16;
/** About how many workgroups to keep the device busy; more chunks only cost partial sums. */
const TARGET_WORKGROUPS = 1024;
/** Fewest pixels a chunk holds, so that each workgroup does enough work to pay its loads. */
const MIN_CHUNK = 4 * STEP;

/** How many chunks the pixel axis is cut into. */
export function filterGradChunks(pixels: number, k: number, co: number): number {
  const tiles = Math.ceil(k / TILE) * Math.ceil(co / TILE);
  const byOccupancy = Math.ceil(TARGET_WORKGROUPS / tiles);
  const byChunkSize = Math.max(1, Math.floor(pixels / MIN_CHUNK));
  return Math.max(1, Math.min(byOccupancy, byChunkSize));
}

class FilterGradProgram {
  variableNames = ["x", "dy"];
  outputShape: number[];
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [16, 16, 1];
  uniforms =
    "P : i32, K : i32, Co : i32, Ci : i32, KW : i32, H : i32, W : i32, OH : i32, OW : i32, strideH : i32, strideW : i32, padT : i32, padL : i32, chunk : i32, steps : i32,";
  shaderKey = "labConv2DFilterGradSplitK";

  constructor(chunks: number, k: number, co: number) {
    this.outputShape = [chunks, k, co];
    this.dispatch = [Math.ceil(co / TILE), Math.ceil(k / TILE), chunks];
  }

  getUserCode(): string {
    // Loop bounds come from uniforms only, so the barriers sit in uniform control flow.
    return `
      var<workgroup> xs : array<array<f32, ${TILE}>, ${STEP}>;
      var<workgroup> ds : array<array<f32, ${TILE}>, ${STEP}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = ty * 16 + tx;
        let coBase = i32(workgroupId.x) * ${TILE};
        let kBase = i32(workgroupId.y) * ${TILE};
        let chunkIndex = i32(workgroupId.z);
        let pStart = chunkIndex * uniforms.chunk;
        let pEnd = min(pStart + uniforms.chunk, uniforms.P);
        var a00 = 0.0; var a01 = 0.0; var a10 = 0.0; var a11 = 0.0;
        for (var step = 0; step < uniforms.steps; step = step + 1) {
          let p0 = pStart + step * ${STEP};
          for (var j = 0; j < ${(TILE * STEP) / 256}; j = j + 1) {
            let e = lid + 256 * j;
            let r = e / ${TILE};
            let c = e % ${TILE};
            let p = p0 + r;
            let k = kBase + c;
            var xv = 0.0;
            if (p < pEnd && k < uniforms.K) {
              let ow = p % uniforms.OW;
              let t = p / uniforms.OW;
              let oh = t % uniforms.OH;
              let n = t / uniforms.OH;
              let ci = k % uniforms.Ci;
              let t2 = k / uniforms.Ci;
              let kw = t2 % uniforms.KW;
              let kh = t2 / uniforms.KW;
              let ih = oh * uniforms.strideH - uniforms.padT + kh;
              let iw = ow * uniforms.strideW - uniforms.padL + kw;
              if (ih >= 0 && ih < uniforms.H && iw >= 0 && iw < uniforms.W) {
                xv = x[((n * uniforms.H + ih) * uniforms.W + iw) * uniforms.Ci + ci];
              }
            }
            xs[r][c] = xv;
            let co = coBase + c;
            var dv = 0.0;
            if (p < pEnd && co < uniforms.Co) {
              dv = dy[p * uniforms.Co + co];
            }
            ds[r][c] = dv;
          }
          workgroupBarrier();
          for (var r = 0; r < ${STEP}; r = r + 1) {
            let x0 = xs[r][ty];
            let x1 = xs[r][ty + 16];
            let d0 = ds[r][tx];
            let d1 = ds[r][tx + 16];
            a00 = a00 + x0 * d0;
            a01 = a01 + x0 * d1;
            a10 = a10 + x1 * d0;
            a11 = a11 + x1 * d1;
          }
          workgroupBarrier();
        }
        let k0 = kBase + ty;
        let k1 = k0 + 16;
        let c0 = coBase + tx;
        let c1 = c0 + 16;
        let base = chunkIndex * uniforms.K;
        if (k0 < uniforms.K && c0 < uniforms.Co) { result[(base + k0) * uniforms.Co + c0] = a00; }
        if (k0 < uniforms.K && c1 < uniforms.Co) { result[(base + k0) * uniforms.Co + c1] = a01; }
        if (k1 < uniforms.K && c0 < uniforms.Co) { result[(base + k1) * uniforms.Co + c0] = a10; }
        if (k1 < uniforms.K && c1 < uniforms.Co) { result[(base + k1) * uniforms.Co + c1] = a11; }
      }
    `;
  }
}

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

function splitKFilterGrad(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as FilterGradAttrs;
    const backend = args.backend as WebgpuBackend;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad as "same",
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
    ) as unknown as ConvInfo;
    if (info.dataFormat !== "channelsLast" || x.dtype !== "float32" || dy.dtype !== "float32") return stock(args);
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const k = info.filterHeight * info.filterWidth * info.inChannels,
      co = info.outChannels;
    const chunks = filterGradChunks(pixels, k, co);
    const chunk = Math.ceil(pixels / chunks);
    const program = new FilterGradProgram(chunks, k, co);
    const uniforms = intUniforms([
      pixels,
      k,
      co,
      info.inChannels,
      info.filterWidth,
      info.inHeight,
      info.inWidth,
      info.outHeight,
      info.outWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      chunk,
      Math.ceil(chunk / STEP),
    ]);
    const partial = backend.runWebGPUProgram(program, [x, dy], "float32", uniforms);
    let summed: tf.TensorInfo;
    if (chunks === 1) {
      summed = partial;
    } else {
      const sum = tf.getKernel("Sum", "webgpu")!.kernelFunc as unknown as KernelFunc;
      summed = sum({ inputs: { x: partial }, backend, attrs: { axis: [0], keepDims: false } }) as tf.TensorInfo;
      backend.disposeData(partial.dataId);
    }
    return { dataId: summed.dataId, shape: attrs.filterShape, dtype: "float32" };
  };
}

export function registerConv2dFilterGrad(): void {
  replaceWebgpuKernel("Conv2DBackpropFilter", splitKFilterGrad);
}
