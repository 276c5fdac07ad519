import { type RgbImage, resizeImage } from "./image";

export interface LetterboxOptions {
  /** Pad only to the smallest multiple of `stride` (YOLOv5's default, auto=True) instead of to newShape. */
  auto?: boolean;
  /** Stretch to newShape without padding (YOLOv5's scaleFill). Ignored when auto is true. */
  scaleFill?: boolean;
  /** Allow enlarging; YOLOv5 sets it false for validation so images are only shrunk. */
  scaleup?: boolean;
  stride?: number;
  /** Padding value: one grey level or [r, g, b]. */
  color?: number | [number, number, number];
}

export interface LetterboxResult {
  image: RgbImage;
  /** Width and height scale factors applied to the original. */
  ratio: [number, number];
  /** Padding added on each side (dw, dh), as floats like YOLOv5 returns them. */
  pad: [number, number];
}

/** Python's round(): halves go to the even neighbour. letterbox's pixel arithmetic depends on it. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Resizes and pads an image as YOLOv5's utils/augmentations.letterbox does: scale by
 * r = min(newH / h, newW / w) keeping the aspect ratio, then pad with `color` to newShape,
 * or with auto=true only to the next multiple of `stride` (400x640 at 640 -> 416x640).
 * newShape is a side length or [height, width].
 */
export async function letterbox(
  img: RgbImage,
  newShape: number | [number, number] = 640,
  opts: LetterboxOptions = {},
): Promise<LetterboxResult> {
  const { auto = true, scaleFill = false, scaleup = true, stride = 32, color = 114 } = opts;
  const [newH, newW] = typeof newShape === "number" ? [newShape, newShape] : newShape;
  let r = Math.min(newH / img.height, newW / img.width);
  if (!scaleup) r = Math.min(r, 1.0);
  let ratio: [number, number] = [r, r];
  let unpadW = pyRound(img.width * r);
  let unpadH = pyRound(img.height * r);
  let dw = newW - unpadW;
  let dh = newH - unpadH;
  if (auto) {
    dw = ((dw % stride) + stride) % stride;
    dh = ((dh % stride) + stride) % stride;
  } else if (scaleFill) {
    dw = 0;
    dh = 0;
    unpadW = newW;
    unpadH = newH;
    ratio = [newW / img.width, newH / img.height];
  }
  dw /= 2;
  dh /= 2;
  const resized = await resizeImage(img, unpadW, unpadH);
  const top = pyRound(dh - 0.1);
  const bottom = pyRound(dh + 0.1);
  const left = pyRound(dw - 0.1);
  const right = pyRound(dw + 0.1);
  return { image: padImage(resized, top, bottom, left, right, color), ratio, pad: [dw, dh] };
}

/** Adds a constant border (cv2.copyMakeBorder with BORDER_CONSTANT). */
export function padImage(
  img: RgbImage,
  top: number,
  bottom: number,
  left: number,
  right: number,
  color: number | [number, number, number],
): RgbImage {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return img;
  const rgb = typeof color === "number" ? [color, color, color] : color;
  const width = img.width + left + right;
  const height = img.height + top + bottom;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = rgb[0];
    data[i * 3 + 1] = rgb[1];
    data[i * 3 + 2] = rgb[2];
  }
  const rowBytes = img.width * 3;
  for (let y = 0; y < img.height; y++) {
    const src = y * rowBytes;
    data.set(img.data.subarray(src, src + rowBytes), ((y + top) * width + left) * 3);
  }
  return { data, width, height };
}
