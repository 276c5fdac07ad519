// YOLOv5's Detect head (models/yolo.py, v7.0) and its eval-mode decode, on NHWC features.
import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { Conv2d } from "./layers";
import { ModuleList } from "./common";

/** Default anchors in pixels, [w0,h0, w1,h1, w2,h2] per level P3, P4, P5. */
export const DEFAULT_ANCHORS: number[][] = [
  [10, 13, 16, 30, 33, 23],
  [30, 61, 62, 45, 59, 119],
  [116, 90, 156, 198, 373, 326],
];
export const DEFAULT_STRIDES: number[] = [8, 16, 32];

export interface DecodeOptions {
  /** Pixels, per level either flat [w0,h0,w1,h1,...] or pairs [[w0,h0], ...]. */
  anchors?: number[][] | number[][][];
  strides?: number[];
}

/** Anchors as [level][anchor][w, h] pixels, from either accepted layout. */
export function anchorPairs(anchors: number[][] | number[][][]): number[][][] {
  return anchors.map((level) => {
    if (Array.isArray(level[0])) return (level as number[][]).map((p) => [p[0], p[1]]);
    const flat = level as number[];
    return Array.from({ length: flat.length / 2 }, (_, a) => [flat[2 * a], flat[2 * a + 1]]);
  });
}

/**
 * Eval-mode decode of raw maps [bs, na, ny, nx, no] into [bs, sum(na*ny*nx), no]:
 * xy = (sigmoid*2 - 0.5 + grid) * stride, wh = (sigmoid*2)^2 * anchor (pixels), rest sigmoid.
 * Written as s*scale + s^2*anchorTerm + offset with broadcast constants, because slicing
 * 5-D tensors is slow on the wasm backend.
 */
export function detectDecode(maps: tf.Tensor[], opts: DecodeOptions = {}): tf.Tensor3D {
  const anchors = anchorPairs(opts.anchors ?? DEFAULT_ANCHORS);
  const strides = opts.strides ?? DEFAULT_STRIDES;
  return tf.tidy(() => {
    const levels = maps.map((p, i) => {
      const [bs, na, ny, nx, no] = p.shape;
      const { scale, anchorTerm, offset } = decodeConstants(ny, nx, no, anchors[i], strides[i]);
      const s = tf.sigmoid(p);
      const y = tf.add(tf.add(tf.mul(s, scale), tf.mul(tf.square(s), anchorTerm)), offset);
      return tf.reshape(y, [bs, na * ny * nx, no]);
    });
    return tf.concat(levels, 1) as tf.Tensor3D;
  });
}

/** Per-column constants of the decode: scale [no], anchor term [na, 1, 1, no], offset [ny, nx, no]. */
function decodeConstants(ny: number, nx: number, no: number, anchors: number[][], stride: number) {
  const scale = new Float32Array(no).fill(1);
  scale[0] = scale[1] = 2 * stride;
  scale[2] = scale[3] = 0;
  const anchorTerm = new Float32Array(anchors.length * no);
  anchors.forEach(([w, h], a) => {
    anchorTerm[a * no + 2] = 4 * w;
    anchorTerm[a * no + 3] = 4 * h;
  });
  const offset = new Float32Array(ny * nx * no);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      offset[(y * nx + x) * no] = (x - 0.5) * stride;
      offset[(y * nx + x) * no + 1] = (y - 0.5) * stride;
    }
  }
  return {
    scale: tf.tensor1d(scale),
    anchorTerm: tf.tensor(anchorTerm, [anchors.length, 1, 1, no]),
    offset: tf.tensor(offset, [ny, nx, no]),
  };
}

/**
 * Detect: a 1x1 conv (with bias) per level to na*(nc+5) channels, reshaped to
 * [bs, na, ny, nx, no] in PyTorch's channel order (anchor-major, then outputs).
 * Train: the list of maps; eval: [decoded, maps]; export: [decoded].
 */
export class Detect extends Module {
  readonly no: number;
  readonly nl: number;
  readonly na: number;
  /** [level][anchor][w, h] in pixels. */
  anchors: number[][][];
  readonly m: ModuleList<Conv2d>;
  exportMode = false;

  constructor(
    readonly nc: number,
    anchors: number[][] | number[][][],
    ch: number[],
    readonly strides: number[] = DEFAULT_STRIDES,
  ) {
    super();
    this.anchors = anchorPairs(anchors);
    this.no = nc + 5;
    this.nl = this.anchors.length;
    this.na = this.anchors[0].length;
    this.m = this.add("m", new ModuleList(ch.map((c) => new Conv2d(c, this.no * this.na, 1))));
  }

  /** Replaces the anchors (pixels, either accepted layout); the number of levels and anchors must stay. */
  setAnchors(anchors: number[][] | number[][][]): void {
    const pairs = anchorPairs(anchors);
    if (pairs.length !== this.nl || pairs.some((l) => l.length !== this.na)) {
      throw new RangeError(`Detect.setAnchors: expected ${this.nl} levels of ${this.na} anchors`);
    }
    this.anchors = pairs;
  }

  /** Anchors in grid units (pixels / stride), [nl, na, 2]: what yolov5 keeps in `Detect.anchors`. */
  anchorsInGridUnits(): number[][][] {
    return this.anchors.map((level, i) => level.map(([w, h]) => [w / this.strides[i], h / this.strides[i]]));
  }

  /** yolov5's _initialize_biases: objectness for ~8 objects per 640 image, class priors 0.6/(nc-0.99). */
  initializeBiases(): void {
    this.m.items.forEach((conv, i) => {
      const offsets = new Float32Array(this.no * this.na);
      const obj = Math.log(8 / (640 / this.strides[i]) ** 2);
      const cls = Math.log(0.6 / (this.nc - 0.99));
      for (let a = 0; a < this.na; a++) {
        offsets[a * this.no + 4] = obj;
        for (let c = 0; c < this.nc; c++) offsets[a * this.no + 5 + c] = cls;
      }
      tf.tidy(() => conv.bias!.assign(tf.add(conv.bias!, tf.tensor1d(offsets))));
    });
  }

  /** Raw maps [bs, na, ny, nx, no], one per level. */
  maps(xs: tf.Tensor4D[]): tf.Tensor[] {
    return xs.map((x, i) => {
      const y = this.m.items[i].forward(x);
      const [bs, ny, nx] = y.shape;
      return tf.transpose(tf.reshape(y, [bs, ny, nx, this.na, this.no]), [0, 3, 1, 2, 4]);
    });
  }

  forward(xs: tf.Tensor4D[]): tf.Tensor[] | [tf.Tensor, tf.Tensor[]] {
    const maps = this.maps(xs);
    if (this.training) return maps;
    const decoded = detectDecode(maps, { anchors: this.anchors, strides: this.strides });
    if (this.exportMode) {
      tf.dispose(maps);
      return [decoded];
    }
    return [decoded, maps];
  }
}
