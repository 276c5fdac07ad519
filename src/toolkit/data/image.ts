import { promises as fs } from "node:fs";
import sharp from "sharp";
import { cv2Resize, type Cv2Interpolation } from "./cv2-resize";
import { namedError, reasonOf } from "./errors";

/** An 8-bit RGB image, row-major HWC: pixel (x, y) channel c is data[(y * width + x) * 3 + c]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A float image in NHWC order without the batch axis: shape [H, W, 3], values in 0..1 unless normalised. */
export interface FloatImage {
  data: Float32Array;
  shape: [number, number, 3];
}

export type ImageFormat = "png" | "jpg";

/** Image file extensions the loaders accept (YOLOv5's IMG_FORMATS that sharp decodes). */
export const IMAGE_EXTENSIONS = [".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"];

export function isImageFile(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

export function newRgbImage(width: number, height: number): RgbImage {
  return { data: new Uint8Array(width * height * 3), width, height };
}

/**
 * Encodes raw RGB to PNG or JPEG bytes. Options are fixed so the same pixels always give
 * the same bytes (the generator's determinism depends on it).
 */
export async function encodeImage(img: RgbImage, format: ImageFormat): Promise<Buffer> {
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  return format === "png"
    ? s.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer()
    : s.jpeg({ quality: 92, chromaSubsampling: "4:4:4", mozjpeg: false }).toBuffer();
}

/**
 * Reads and decodes an image file to RGB (alpha dropped, greyscale expanded). The file is
 * read with fs first so a missing file gives Node's ENOENT error and sharp's cache never
 * serves a stale decode of a file that was rewritten.
 * Throws the fs error for a missing file, and sharp's error for an unreadable one.
 */
export async function readImageFile(path: string): Promise<RgbImage> {
  const bytes = await fs.readFile(path);
  return decodeImage(bytes);
}

/** A JPEG (by its signature) whose end-of-image marker is missing, as YOLOv5 checks (`f.read() != b'\xff\xd9'`). */
export function jpegMissingEnd(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && !(bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9);
}

/**
 * Decodes image bytes to RGB, upright: the EXIF orientation is applied (`rotate()` with no
 * angle), as cv2.imread does when YOLOv5 loads images, so width and height are those of
 * the image as shown. A JPEG whose end is missing is decoded as if its end marker were
 * there (YOLOv5 restores such files): whatever scan data is present decodes, the rest is grey.
 */
export async function decodeImage(bytes: Buffer): Promise<RgbImage> {
  const input = jpegMissingEnd(bytes) ? Buffer.concat([bytes, Buffer.from([0xff, 0xd9])]) : bytes;
  const { data, info } = await sharp(input, { failOn: "truncated" })
    .rotate()
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 colour channels after decoding, got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * Resizes to exactly width x height as cv2.resize does (cv2-resize.ts, bit-exact for 8-bit
 * RGB): INTER_LINEAR by default (letterbox), INTER_AREA where YOLOv5 shrinks for validation.
 */
export async function resizeImage(
  img: RgbImage,
  width: number,
  height: number,
  interpolation: Cv2Interpolation = "linear",
): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  return cv2Resize(img, width, height, interpolation);
}

/** Centre-crops to a square, then resizes to size x size (YOLOv5-cls's CenterCrop transform). */
export async function centerCropResize(img: RgbImage, size: number): Promise<RgbImage> {
  const m = Math.min(img.width, img.height);
  const left = Math.floor((img.width - m) / 2);
  const top = Math.floor((img.height - m) / 2);
  const data = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
    .extract({ left, top, width: m, height: m })
    .resize(size, size, { fit: "fill", kernel: "linear" })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: size, height: size };
}

/** ImageNet mean and std, as YOLOv5-cls and torchvision normalise. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** 8-bit RGB to float [H, W, 3] in 0..1, optionally normalised per channel ((x - mean) / std). */
export function toFloatImage(img: RgbImage, normalize?: { mean: number[]; std: number[] }): FloatImage {
  const n = img.width * img.height * 3;
  const out = new Float32Array(n);
  if (normalize) {
    const { mean, std } = normalize;
    for (let i = 0; i < n; i++) out[i] = (img.data[i] / 255 - mean[i % 3]) / std[i % 3];
  } else {
    for (let i = 0; i < n; i++) out[i] = img.data[i] / 255;
  }
  return { data: out, shape: [img.height, img.width, 3] };
}

/** Encodes and writes an image; the extension of `path` is the caller's business. */
export async function writeImageFile(path: string, img: RgbImage, format: ImageFormat): Promise<void> {
  await fs.writeFile(path, await encodeImage(img, format));
}

/**
 * readImageFile for item loading, where a bad file is an error (PIL's wording and
 * exception names): `shownAs` is the path as users know it, `context` says where it was
 * listed (e.g. " (listed at train_list.txt:4)").
 */
export async function readImageOrThrow(file: string, shownAs: string, context = ""): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (_e) {
    throw namedError(
      "FileNotFoundError",
      `[Errno 2] No such file or directory: '${shownAs}'${context}. What to do: restore the file, or remove it from the dataset.`,
    );
  }
  try {
    return await decodeImage(bytes);
  } catch (e) {
    throw namedError(
      "UnidentifiedImageError",
      `cannot identify image file '${shownAs}'${context}: ${reasonOf(e)}. What to do: replace or delete the file (and its list entry, if any).`,
    );
  }
}
