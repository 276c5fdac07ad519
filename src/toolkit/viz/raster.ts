// 8-bit RGB buffers for drawing: conversion from tensors and the data module's images,
// solid rectangles drawn straight into the pixels (exact class colours, no anti-aliasing),
// and PNG encoding with an SVG overlay for text (sharp rasterizes the SVG).
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import type { FloatImage, RgbImage } from "../data/image";
import { PngImage } from "../../display";

export type Rgb = [number, number, number];

/** An image: a tensor [H, W, 3] (or [1, H, W, 3], or 1 channel), raw RGB bytes, or a float image. */
export type ImageInput = tf.Tensor | RgbImage | FloatImage;

export interface ToRgbOptions {
  /** Undo a normalisation (x - mean) / std before converting, e.g. IMAGENET_MEAN / IMAGENET_STD. */
  normalize?: { mean: number[]; std: number[] };
}

function isRgbImage(v: unknown): v is RgbImage {
  return !!v && typeof v === "object" && (v as RgbImage).data instanceof Uint8Array && typeof (v as RgbImage).width === "number";
}

/**
 * Float pixels to bytes. Float images in 0..1 (the loaders' output) are scaled by 255;
 * anything with values above 1 is taken as 0..255 already.
 */
export function floatsToRgb(
  values: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  opts: ToRgbOptions = {},
  alreadyBytes?: boolean,
): RgbImage {
  const n = width * height;
  const vals = Float32Array.from(values as ArrayLike<number>);
  if (opts.normalize) {
    const { mean, std } = opts.normalize;
    for (let i = 0; i < vals.length; i++) vals[i] = vals[i] * std[i % channels] + mean[i % channels];
  }
  let max = 0;
  for (let i = 0; i < vals.length; i++) if (vals[i] > max) max = vals[i];
  const scale = alreadyBytes || max > 1.0001 ? 1 : 255;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = vals[p * channels + (channels === 1 ? 0 : c)] * scale;
      data[p * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { data, width, height };
}

/** Any ImageInput as 8-bit RGB. */
export async function toRgb(image: ImageInput, opts: ToRgbOptions = {}): Promise<RgbImage> {
  if (image instanceof tf.Tensor) {
    let shape = image.shape;
    if (shape.length === 4 && shape[0] === 1) shape = shape.slice(1);
    if (shape.length !== 3 || (shape[2] !== 3 && shape[2] !== 1)) {
      throw new RangeError(`expected an image tensor [H, W, 3] (or [1, H, W, 3]), got [${image.shape.join(", ")}]`);
    }
    const [h, w, c] = shape;
    return floatsToRgb(await image.data(), w, h, c, opts, image.dtype === "int32" && !opts.normalize);
  }
  if (isRgbImage(image)) return { data: Uint8Array.from(image.data), width: image.width, height: image.height };
  const f = image as FloatImage;
  if (f && f.data instanceof Float32Array && Array.isArray(f.shape)) return floatsToRgb(f.data, f.shape[1], f.shape[0], f.shape[2], opts);
  throw new TypeError("expected an image: a tensor [H, W, 3], raw RGB {data, width, height} or a float image {data, shape}");
}

/** Splits a batch [B, H, W, 3] (or an array of images) into RGB images. */
export async function batchToRgb(images: tf.Tensor | ImageInput[], opts: ToRgbOptions = {}): Promise<RgbImage[]> {
  if (Array.isArray(images)) return Promise.all(images.map((im) => toRgb(im, opts)));
  if (images.shape.length !== 4) throw new RangeError(`expected a batch of images [B, H, W, 3], got [${images.shape.join(", ")}]`);
  const [b, h, w, c] = images.shape;
  const all = await images.data();
  const per = h * w * c;
  return Array.from({ length: b }, (_, i) =>
    floatsToRgb(all.subarray(i * per, (i + 1) * per), w, h, c, opts, images.dtype === "int32" && !opts.normalize),
  );
}

export function fillRect(img: RgbImage, x1: number, y1: number, x2: number, y2: number, color: Rgb): void {
  const xa = Math.max(0, Math.round(x1)),
    xb = Math.min(img.width - 1, Math.round(x2));
  const ya = Math.max(0, Math.round(y1)),
    yb = Math.min(img.height - 1, Math.round(y2));
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const o = (y * img.width + x) * 3;
      img.data[o] = color[0];
      img.data[o + 1] = color[1];
      img.data[o + 2] = color[2];
    }
  }
}

/** A box outline `thickness` pixels wide, drawn inward from the box's corners (x1, y1)-(x2, y2). */
export function strokeRect(img: RgbImage, x1: number, y1: number, x2: number, y2: number, color: Rgb, thickness: number): void {
  const t = Math.max(1, Math.round(thickness)) - 1;
  const [a, b, c, d] = [Math.round(x1), Math.round(y1), Math.round(x2), Math.round(y2)];
  fillRect(img, a, b, c, b + t, color);
  fillRect(img, a, d - t, c, d, color);
  fillRect(img, a, b, a + t, d, color);
  fillRect(img, c - t, b, c, d, color);
}

/** Copies `src` into `dst` with its top-left corner at (left, top), clipped to `dst`. */
export function blit(dst: RgbImage, src: RgbImage, left: number, top: number): void {
  for (let y = 0; y < src.height && top + y < dst.height; y++) {
    const w = Math.min(src.width, dst.width - left) * 3;
    if (w <= 0) return;
    const from = y * src.width * 3;
    dst.data.set(src.data.subarray(from, from + w), ((top + y) * dst.width + left) * 3);
  }
}

export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
    .resize(width, height, { fit: "fill" })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** PNG of `img` with an SVG overlay (text, label backgrounds) composited on top. */
export async function encodePng(img: RgbImage, overlaySvg?: string, caption = ""): Promise<PngImage> {
  let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  if (overlaySvg) {
    // Composite first, then drop alpha on a second pass: the PNG stays 3-channel RGB.
    const flat = await s
      .composite([{ input: Buffer.from(overlaySvg), top: 0, left: 0 }])
      .raw()
      .toBuffer({ resolveWithObject: true });
    s = sharp(flat.data, {
      raw: { width: flat.info.width, height: flat.info.height, channels: flat.info.channels as 3 | 4 },
    }).removeAlpha();
  }
  const png = await s.png({ compressionLevel: 6 }).toBuffer();
  return new PngImage(new Uint8Array(png.buffer, png.byteOffset, png.byteLength), img.width, img.height, caption);
}
