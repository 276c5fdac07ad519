// Class colours and text labels. Labels are an SVG overlay (generic sans-serif, so any
// installed font serves) that sharp rasterizes onto the image: a filled tag in the class
// colour with the class name and score, above the box when there is room, else inside it.
import type { Rgb } from "./raster";

// Ultralytics' 20-colour class palette (hex), so boxes look as YOLOv5 users expect.
const PALETTE = [
  "FF3838",
  "FF9D97",
  "FF701F",
  "FFB21D",
  "CFD231",
  "48F90A",
  "92CC17",
  "3DDB86",
  "1A9334",
  "00D4BB",
  "2C99A8",
  "00C2FF",
  "344593",
  "6473FF",
  "0018EC",
  "8438FF",
  "520085",
  "CB38FF",
  "FF95C8",
  "FF37C7",
].map((h): Rgb => [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)]);

/** The colour of class `cls` (cycles through 20). */
export function classColor(cls: number): Rgb {
  const i = Math.abs(Math.trunc(cls)) % PALETTE.length;
  return [...PALETTE[Number.isFinite(i) ? i : 0]] as Rgb;
}

export const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;

/** White text on dark colours, black on light ones. */
function textColorOn(c: Rgb): string {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 150 ? "#000000" : "#ffffff";
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export interface TextTag {
  /** The corner the tag hangs from: its bottom-left sits at (x, y) when it fits above, else its top-left. */
  x: number;
  y: number;
  text: string;
  color: Rgb;
  /** Always hang below (x, y), e.g. a caption inside a grid tile. */
  inside?: boolean;
}

/** An SVG the size of the image with one filled tag per label. */
export function tagsSvg(width: number, height: number, tags: TextTag[], fontSize: number): string {
  const pad = Math.max(1, Math.round(fontSize * 0.2));
  const h = Math.round(fontSize + 2 * pad);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="${fontSize}">`,
  ];
  for (const t of tags) {
    // Width from an average sans-serif advance (0.6 em): no font metrics without a text engine.
    const w = Math.round(t.text.length * fontSize * 0.6 + 2 * pad);
    const top = !t.inside && t.y - h >= 0 ? t.y - h : t.y;
    const left = Math.max(0, Math.min(t.x, width - w));
    parts.push(
      `<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="${hex(t.color)}"/>` +
        `<text x="${left + pad}" y="${top + h - pad - Math.round(fontSize * 0.15)}" fill="${textColorOn(t.color)}">${esc(t.text)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/** "person 0.87", or "cls 5" when there are no names for it. */
export function tagText(cls: number, conf: number | undefined, names?: string[] | Record<number, string>): string {
  const name = (names as Record<number, string> | undefined)?.[cls] ?? `cls ${cls}`;
  return conf === undefined || !Number.isFinite(conf) ? name : `${name} ${conf.toFixed(2)}`;
}
