import type { Prng } from "./prng";
import { type RgbImage, newRgbImage } from "./image";

/**
 * Drawing for the synthetic datasets: a class is a shape kind and a colour, painted on a
 * noisy grey background. Shapes are rasterised at pixel centres so their labelled boxes
 * are the exact extents of what is drawn.
 */

export type ShapeKind = "circle" | "rectangle" | "triangle";
const SHAPE_KINDS: ShapeKind[] = ["circle", "rectangle", "triangle"];

/** Twelve colours far apart from each other and from the grey background. */
const PALETTE: { name: string; rgb: [number, number, number] }[] = [
  { name: "red", rgb: [220, 40, 40] },
  { name: "green", rgb: [40, 180, 60] },
  { name: "blue", rgb: [40, 80, 230] },
  { name: "yellow", rgb: [235, 215, 40] },
  { name: "magenta", rgb: [210, 50, 210] },
  { name: "cyan", rgb: [40, 210, 220] },
  { name: "orange", rgb: [245, 135, 30] },
  { name: "purple", rgb: [110, 40, 160] },
  { name: "white", rgb: [250, 250, 250] },
  { name: "black", rgb: [15, 15, 15] },
  { name: "brown", rgb: [125, 75, 25] },
  { name: "pink", rgb: [250, 150, 185] },
];

export const MAX_CLASSES = PALETTE.length * SHAPE_KINDS.length;

export interface ClassAppearance {
  name: string;
  shape: ShapeKind;
  rgb: [number, number, number];
}

/**
 * What class k of nc looks like. With few classes each has its own colour and the shapes
 * cycle (so colour alone separates them); with more than the palette holds, classes are
 * the combinations of colour and shape (33 classes = 11 colours x 3 shapes).
 */
export function classAppearance(k: number, nc: number): ClassAppearance {
  if (!Number.isInteger(nc) || nc < 1 || nc > MAX_CLASSES) {
    throw new RangeError(`nc must be an integer from 1 to ${MAX_CLASSES} (12 colours x 3 shapes), got ${nc}`);
  }
  const shape = SHAPE_KINDS[k % 3];
  const colour = nc <= PALETTE.length ? PALETTE[k] : PALETTE[Math.floor(k / 3)];
  return { name: `${colour.name}_${shape}`, shape, rgb: colour.rgb };
}

export function classNames(nc: number): string[] {
  return Array.from({ length: nc }, (_, k) => classAppearance(k, nc).name);
}

/** A shape's bounding box in pixels: [x0, y0) to [x1, y1) as real numbers. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A noisy grey background with a slight random tint. */
export function noisyBackground(width: number, height: number, rng: Prng, noise = 24): RgbImage {
  const img = newRgbImage(width, height);
  const grey = rng.uniform(70, 180);
  const tint = [rng.uniform(-12, 12), rng.uniform(-12, 12), rng.uniform(-12, 12)];
  const d = img.data;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) d[i * 3 + c] = clampByte(grey + tint[c] + rng.uniform(-noise, noise));
  }
  return img;
}

/** Paints a filled shape inside box with the colour plus a little per-pixel noise. */
export function drawShape(img: RgbImage, shape: ShapeKind, box: PixelBox, rgb: [number, number, number], rng: Prng): void {
  const inside = insideTest(shape, box);
  const yStart = Math.max(0, Math.floor(box.y0));
  const yEnd = Math.min(img.height, Math.ceil(box.y1));
  const xStart = Math.max(0, Math.floor(box.x0));
  const xEnd = Math.min(img.width, Math.ceil(box.x1));
  for (let y = yStart; y < yEnd; y++) {
    for (let x = xStart; x < xEnd; x++) {
      if (!inside(x + 0.5, y + 0.5)) continue;
      const o = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) img.data[o + c] = clampByte(rgb[c] + rng.uniform(-12, 12));
    }
  }
}

function insideTest(shape: ShapeKind, b: PixelBox): (x: number, y: number) => boolean {
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  const rx = (b.x1 - b.x0) / 2;
  const ry = (b.y1 - b.y0) / 2;
  switch (shape) {
    case "circle":
      // An ellipse filling the box (a circle when the box is square).
      return (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
    case "rectangle":
      return (x, y) => x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1;
    case "triangle":
      // Apex at the top centre, base along the bottom edge.
      return (x, y) => {
        if (y < b.y0 || y >= b.y1) return false;
        const halfWidth = rx * ((y - b.y0) / (b.y1 - b.y0));
        return Math.abs(x - cx) <= halfWidth + 0.5;
      };
  }
}

/** Size bands of objects, as fractions of the image's shorter side, with how often each is drawn. */
export interface SizeBand {
  min: number;
  max: number;
  weight: number;
}

/**
 * Default bands: a quarter small (under 32 px at 640, COCO's "small"), the rest medium
 * and large, so the set has objects of several sizes including small ones.
 */
export const DEFAULT_SIZE_BANDS: SizeBand[] = [
  { min: 0.03, max: 0.05, weight: 0.25 },
  { min: 0.08, max: 0.22, weight: 0.45 },
  { min: 0.25, max: 0.5, weight: 0.3 },
];

/**
 * Places up to `count` boxes that do not overlap (so no object hides another and every
 * label is fully visible). Gives up on an object after a few tries, so crowded images
 * may get fewer objects than asked.
 */
export function placeBoxes(width: number, height: number, count: number, bands: SizeBand[], rng: Prng, minPixels = 4): PixelBox[] {
  const boxes: PixelBox[] = [];
  const side = Math.min(width, height);
  const totalWeight = bands.reduce((s, b) => s + b.weight, 0);
  for (let n = 0; n < count; n++) {
    for (let attempt = 0; attempt < 30; attempt++) {
      let pick = rng.uniform(0, totalWeight);
      let band = bands[bands.length - 1];
      for (const b of bands) {
        if (pick < b.weight) {
          band = b;
          break;
        }
        pick -= b.weight;
      }
      const size = Math.max(minPixels, rng.logUniform(band.min, band.max) * side);
      const aspect = rng.logUniform(0.6, 1.6);
      const w = Math.min(width - 1, Math.round(size * Math.sqrt(aspect)));
      const h = Math.min(height - 1, Math.round(size / Math.sqrt(aspect)));
      const x0 = rng.int(width - w + 1);
      const y0 = rng.int(height - h + 1);
      const box = { x0, y0, x1: x0 + w, y1: y0 + h };
      if (boxes.every((o) => !overlaps(o, box, 1))) {
        boxes.push(box);
        break;
      }
    }
  }
  return boxes;
}

function overlaps(a: PixelBox, b: PixelBox, gap: number): boolean {
  return a.x0 < b.x1 + gap && b.x0 < a.x1 + gap && a.y0 < b.y1 + gap && b.y0 < a.y1 + gap;
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
