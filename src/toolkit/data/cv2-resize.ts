// cv2Resize: OpenCV 4.x's cv2.resize for 8-bit RGB (CV_8UC3) images, INTER_LINEAR and
// INTER_AREA, reproducing OpenCV's arithmetic (x86-64 build, no IPP: OpenCV only uses IPP's
// resize when "not exact" IPP is allowed, which it is not by default) so that YOLOv5's
// load_image / letterbox resizes give the same bytes as in Python.
//
// Paths, as OpenCV picks them (imgproc/src/resize.cpp, cv::resize and hal::resize):
//   - same size: a copy;
//   - INTER_LINEAR with an exact 2x downscale in both axes: INTER_AREA (which, at 2x2, is the
//     fast block average with round-half-up);
//   - INTER_AREA with both scales >= 1: integer scales -> block average (2x2 by (sum+2)>>2,
//     others by float32 sum*(1/area) rounded half-to-even); otherwise the general area
//     resize with fractional weights accumulated in float32;
//   - otherwise (INTER_LINEAR, or INTER_AREA when enlarging along an axis): the separable
//     fixed-point bilinear resize with 11-bit coefficients, INTER_AREA using its own
//     coefficients (pixel replication with a linear blend only across cell boundaries).
//
// float32 arithmetic is emulated with Math.fround after every operation; each one is exact in
// double before the rounding (small integers times 24-bit floats), so the results match C++ float.

/** An 8-bit RGB image, row-major HWC: pixel (x, y) channel c is data[(y * width + x) * 3 + c]. */
export interface Cv2Image {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Cv2Interpolation = "linear" | "area";

const CN = 3;
const DBL_EPSILON = 2.220446049250313e-16;
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS; // INTER_RESIZE_COEF_SCALE

const f32 = Math.fround;

/** cvRound: round half to even (lrint in the default rounding mode). */
function rint(x: number): number {
  const r = Math.round(x); // half-way cases go up
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

function satU8(x: number): number {
  const v = rint(x);
  return v < 0 ? 0 : Math.min(v, 255);
}

function satShort(x: number): number {
  const v = rint(x);
  return v < -32768 ? -32768 : Math.min(v, 32767);
}

/**
 * cv2.resize(img, (width, height), interpolation=INTER_LINEAR | INTER_AREA) for an 8-bit RGB
 * image. Synchronous; returns a new image (a copy when the size is unchanged).
 */
export function cv2Resize(img: Cv2Image, width: number, height: number, interpolation: Cv2Interpolation): Cv2Image {
  const sw = img.width;
  const sh = img.height;
  if (!Number.isInteger(sw) || !Number.isInteger(sh) || sw <= 0 || sh <= 0) {
    throw new RangeError(`cv2Resize: bad source size ${sw}x${sh}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`cv2Resize: bad target size ${width}x${height}`);
  }
  if (img.data.length !== sw * sh * CN) {
    throw new RangeError(`cv2Resize: ${img.data.length} bytes for a ${sw}x${sh} RGB image (expected ${sw * sh * CN})`);
  }
  if (interpolation !== "linear" && interpolation !== "area") {
    throw new RangeError(`cv2Resize: unknown interpolation ${String(interpolation)}`);
  }
  const dw = width;
  const dh = height;
  if (dw === sw && dh === sh) return { data: img.data.slice(), width: dw, height: dh };

  const invX = dw / sw;
  const invY = dh / sh;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  const iscaleX = rint(scaleX);
  const iscaleY = rint(scaleY);
  const isAreaFast = Math.abs(scaleX - iscaleX) < DBL_EPSILON && Math.abs(scaleY - iscaleY) < DBL_EPSILON;

  let mode = interpolation;
  // OpenCV: "in case of scale_x && scale_y is equal to 2, INTER_AREA (fast) also is equal to INTER_LINEAR"
  if (mode === "linear" && isAreaFast && iscaleX === 2 && iscaleY === 2) mode = "area";

  let out: Uint8Array;
  if (mode === "area" && scaleX >= 1 && scaleY >= 1) {
    out = isAreaFast ? resizeAreaFast(img.data, sw, sh, dw, dh, iscaleX, iscaleY) : resizeArea(img.data, sw, sh, dw, dh, scaleX, scaleY);
  } else {
    out = resizeLinear(img.data, sw, sh, dw, dh, scaleX, scaleY, invX, invY, mode === "area");
  }
  return { data: out, width: dw, height: dh };
}

/** Integer scale factors: the mean of each scaleX x scaleY block. */
function resizeAreaFast(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, scaleX: number, scaleY: number): Uint8Array {
  const dst = new Uint8Array(dw * dh * CN);
  const sstep = sw * CN;
  const dstep = dw * CN;
  const area = scaleX * scaleY;
  const scale = f32(1 / area);
  const fast2x2 = scaleX === 2 && scaleY === 2;
  // full blocks lie in the first dwidth1 output values of a row whose block rows all exist
  const dwidth1 = Math.floor(sw / scaleX) * CN;
  // offsets of a block's samples relative to its top-left sample
  const ofs = new Int32Array(area);
  for (let by = 0, k = 0; by < scaleY; by++) for (let bx = 0; bx < scaleX; bx++) ofs[k++] = by * sstep + bx * CN;

  for (let dy = 0; dy < dh; dy++) {
    const sy0 = dy * scaleY;
    const drow = dy * dstep;
    if (sy0 >= sh) continue; // zeros (cannot happen for a size OpenCV derives from exact scales)
    const w = sy0 + scaleY <= sh ? Math.min(dwidth1, dstep) : 0;
    const srow = sy0 * sstep;
    let dx = 0;
    if (fast2x2) {
      const srow1 = srow + sstep;
      for (; dx < w; dx += 3) {
        const s = srow + dx * 2;
        const t = srow1 + dx * 2;
        dst[drow + dx] = (src[s] + src[s + 3] + src[t] + src[t + 3] + 2) >> 2;
        dst[drow + dx + 1] = (src[s + 1] + src[s + 4] + src[t + 1] + src[t + 4] + 2) >> 2;
        dst[drow + dx + 2] = (src[s + 2] + src[s + 5] + src[t + 2] + src[t + 5] + 2) >> 2;
      }
    } else {
      for (; dx < w; dx++) {
        const c = dx % CN;
        const base = srow + ((dx - c) / CN) * scaleX * CN + c;
        let sum = 0;
        for (let k = 0; k < area; k++) sum += src[base + ofs[k]];
        dst[drow + dx] = satU8(f32(sum * scale));
      }
    }
    // partial blocks at the right / bottom edges: mean of the samples that exist
    for (; dx < dstep; dx++) {
      const c = dx % CN;
      const sx0 = ((dx - c) / CN) * scaleX * CN + c;
      let sum = 0;
      let count = 0;
      for (let by = 0; by < scaleY && sy0 + by < sh; by++) {
        const row = (sy0 + by) * sstep;
        for (let bx = 0; bx < scaleX * CN && sx0 + bx < sstep; bx += CN) {
          sum += src[row + sx0 + bx];
          count++;
        }
      }
      dst[drow + dx] = count > 0 ? satU8(f32(sum / count)) : 0;
    }
  }
  return dst;
}

/** OpenCV's computeResizeAreaTab: (destination index, source index, float32 weight) triples. */
function areaTab(
  ssize: number,
  dsize: number,
  cn: number,
  scale: number,
): { di: Int32Array; si: Int32Array; alpha: Float32Array; n: number } {
  const cap = ssize * 2 + 2;
  const di = new Int32Array(cap);
  const si = new Int32Array(cap);
  const alpha = new Float32Array(cap);
  let k = 0;
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di[k] = dx * cn;
      si[k] = (sx1 - 1) * cn;
      alpha[k++] = (sx1 - fsx1) / cellWidth;
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di[k] = dx * cn;
      si[k] = sx * cn;
      alpha[k++] = 1.0 / cellWidth;
    }
    if (fsx2 - sx2 > 1e-3) {
      di[k] = dx * cn;
      si[k] = sx2 * cn;
      alpha[k++] = Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth;
    }
  }
  return { di, si, alpha, n: k };
}

/** Non-integer downscale: each output is the area-weighted mean of the source cells it covers, in float32. */
function resizeArea(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, scaleX: number, scaleY: number): Uint8Array {
  const dst = new Uint8Array(dw * dh * CN);
  const sstep = sw * CN;
  const dstep = dw * CN;
  const xt = areaTab(sw, dw, CN, scaleX);
  const yt = areaTab(sh, dh, 1, scaleY);
  const buf = new Float32Array(dstep);
  const sum = new Float32Array(dstep);
  const xdi = xt.di;
  const xsi = xt.si;
  const xal = xt.alpha;
  const xn = xt.n;
  let prevDy = yt.n > 0 ? yt.di[0] : 0;
  let bufRow = -1;
  for (let j = 0; j < yt.n; j++) {
    const beta = yt.alpha[j];
    const dy = yt.di[j];
    const sy = yt.si[j];
    if (sy !== bufRow) {
      // horizontal pass of source row sy (OpenCV redoes it per table entry; the result is the same)
      buf.fill(0);
      const row = sy * sstep;
      for (let k = 0; k < xn; k++) {
        const s = row + xsi[k];
        const d = xdi[k];
        const a = xal[k];
        buf[d] = buf[d] + f32(src[s] * a);
        buf[d + 1] = buf[d + 1] + f32(src[s + 1] * a);
        buf[d + 2] = buf[d + 2] + f32(src[s + 2] * a);
      }
      bufRow = sy;
    }
    if (dy !== prevDy) {
      const drow = prevDy * dstep;
      for (let dx = 0; dx < dstep; dx++) {
        dst[drow + dx] = satU8(sum[dx]);
        sum[dx] = beta * buf[dx];
      }
      prevDy = dy;
    } else {
      for (let dx = 0; dx < dstep; dx++) sum[dx] = sum[dx] + f32(beta * buf[dx]);
    }
  }
  const drow = prevDy * dstep;
  for (let dx = 0; dx < dstep; dx++) dst[drow + dx] = satU8(sum[dx]);
  return dst;
}

/**
 * The fixed-point separable bilinear resize (INTER_LINEAR; INTER_AREA when enlarging, with
 * areaMode coefficients). Horizontal pass: int32 S[sx]*a0 + S[sx+1]*a1 with 11-bit weights;
 * vertical pass as VResizeLinearVec_32s8u: ((b0*(S0>>4))>>16) + ((b1*(S1>>4))>>16) + 2) >> 2.
 * OpenCV's scalar tail (the last values of a row after the SIMD loop) uses the same formula,
 * so it is applied to every value; the plain (b0*S0 + b1*S1 + (1<<21)) >> 22 would not match
 * (it differs by 1 in many of the fixture's cases). At an exact 2x downscale this path and
 * the 2x2 block average agree, so OpenCV's switch to INTER_AREA there does not change bytes.
 */
function resizeLinear(
  src: Uint8Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  scaleX: number,
  scaleY: number,
  invX: number,
  invY: number,
  areaMode: boolean,
): Uint8Array {
  const sstep = sw * CN;
  const dstep = dw * CN;
  const dst = new Uint8Array(dh * dstep);

  // horizontal tables, per output column
  const xo0 = new Int32Array(dw);
  const xo1 = new Int32Array(dw);
  const xa0 = new Int32Array(dw);
  const xa1 = new Int32Array(dw);
  for (let dx = 0; dx < dw; dx++) {
    let sx: number;
    let fx: number;
    if (!areaMode) {
      fx = f32((dx + 0.5) * scaleX - 0.5);
      sx = Math.floor(fx);
      fx = f32(fx - sx);
    } else {
      sx = Math.floor(dx * scaleX);
      fx = f32(dx + 1 - (sx + 1) * invX);
      fx = fx <= 0 ? 0 : f32(fx - Math.floor(fx));
    }
    if (sx < 0) {
      fx = 0;
      sx = 0;
    }
    if (sx >= sw - 1) {
      fx = 0;
      sx = sw - 1;
    }
    xo0[dx] = sx * CN;
    xo1[dx] = fx === 0 && sx === sw - 1 ? sx * CN : (sx + 1) * CN;
    xa0[dx] = satShort(f32(1 - fx) * COEF_SCALE);
    xa1[dx] = satShort(fx * COEF_SCALE);
  }

  const rows = [new Int32Array(dstep), new Int32Array(dstep)];
  const rowOf = [-1, -1];
  const hresize = (sy: number, out: Int32Array): void => {
    const row = sy * sstep;
    for (let dx = 0, o = 0; dx < dw; dx++, o += 3) {
      const p = row + xo0[dx];
      const q = row + xo1[dx];
      const a0 = xa0[dx];
      const a1 = xa1[dx];
      out[o] = src[p] * a0 + src[q] * a1;
      out[o + 1] = src[p + 1] * a0 + src[q + 1] * a1;
      out[o + 2] = src[p + 2] * a0 + src[q + 2] * a1;
    }
  };
  /** The buffer holding horizontally resized source row sy, reusing the two cached rows. */
  const getRow = (sy: number, avoid: number): Int32Array => {
    if (rowOf[0] === sy) return rows[0];
    if (rowOf[1] === sy) return rows[1];
    const slot = avoid === 0 ? 1 : avoid === 1 ? 0 : rowOf[0] < rowOf[1] ? 0 : 1;
    hresize(sy, rows[slot]);
    rowOf[slot] = sy;
    return rows[slot];
  };

  for (let dy = 0; dy < dh; dy++) {
    let sy: number;
    let fy: number;
    if (!areaMode) {
      fy = f32((dy + 0.5) * scaleY - 0.5);
      sy = Math.floor(fy);
      fy = f32(fy - sy);
    } else {
      sy = Math.floor(dy * scaleY);
      fy = f32(dy + 1 - (sy + 1) * invY);
      fy = fy <= 0 ? 0 : f32(fy - Math.floor(fy));
    }
    // the rows are clamped to the image, the weights are not (OpenCV keeps fy at the borders)
    const b0 = satShort(f32(1 - fy) * COEF_SCALE);
    const b1 = satShort(fy * COEF_SCALE);
    const r0 = sy < 0 ? 0 : sy >= sh ? sh - 1 : sy;
    const r1 = sy + 1 < 0 ? 0 : sy + 1 >= sh ? sh - 1 : sy + 1;
    const S0 = getRow(r0, -1);
    const S1 = getRow(r1, S0 === rows[0] ? 0 : 1);
    const drow = dy * dstep;
    for (let x = 0; x < dstep; x++) {
      dst[drow + x] = (((b0 * (S0[x] >> 4)) >> 16) + ((b1 * (S1[x] >> 4)) >> 16) + 2) >> 2;
    }
  }
  return dst;
}
