import { promises as fs } from "node:fs";
import { type RgbImage, decodeImage, jpegMissingEnd } from "./image";
import { CorruptLabelError, parseYoloLabels } from "./yolo-labels";
import { displayPath, reasonOf } from "./errors";

/**
 * What verifying one image and its label file found: YOLOv5's verify_image_label result,
 * in a form that can be written to the label cache (plain JSON, no image data).
 */
export interface ScanRecord {
  /** labelled: rows found; empty: a label file without usable rows; missing: no label file; corrupt: image ignored. */
  status: "labelled" | "empty" | "missing" | "corrupt";
  /**
   * [height, width] of the upright image (EXIF orientation applied); [0, 0] when corrupt.
   * YOLOv5's exif_size swaps the sides for orientations 6 and 8 only, though cv2.imread also
   * turns 5 and 7 (mirrored turns); we record the size of the image as loaded for all of them.
   */
  size: [number, number];
  /** [class, cx, cy, w, h] per row, normalised to the upright image. */
  rows: number[][];
  /** 1-based line of each row in its label file, for later messages. */
  lines: number[];
  /** `WARNING ⚠️ {image}: ...` lines, without the split's prefix, paths relative to the dataset root. */
  messages: string[];
}

/** The image is smaller than this on a side: YOLOv5's `image size {shape} <10 pixels`. */
const MIN_IMAGE_SIDE = 10;

/**
 * verify_image_label for one pair. The image is fully decoded (not only its header, as PIL's
 * verify() does), so a file that would fail later fails here and is reported once, with its
 * path. Returns the decoded image too, for callers that keep images in memory. Never
 * throws for bad data: that is a corrupt record.
 */
export async function verifyImageLabel(
  imageFile: string,
  labelFile: string,
  root: string,
): Promise<{ record: ScanRecord; image?: RgbImage }> {
  const shown = displayPath(imageFile, root);
  const messages: string[] = [];
  const corrupt = (reason: string) => ({
    record: {
      status: "corrupt" as const,
      size: [0, 0] as [number, number],
      rows: [],
      lines: [],
      messages: [...messages, `WARNING ⚠️ ${shown}: ignoring corrupt image/label: ${reason}`],
    },
  });

  let image: RgbImage;
  try {
    const bytes = await fs.readFile(imageFile);
    image = await decodeImage(bytes);
    // YOLOv5 re-saves such a file in place ("corrupt JPEG restored and saved"); a user's dataset is not ours to rewrite.
    if (jpegMissingEnd(bytes))
      messages.push(`WARNING ⚠️ ${shown}: corrupt JPEG restored (its end marker is missing; the file was left unchanged)`);
    if (image.width < MIN_IMAGE_SIDE || image.height < MIN_IMAGE_SIDE) {
      return corrupt(`image size (${image.width}, ${image.height}) <${MIN_IMAGE_SIDE} pixels`);
    }
  } catch (e) {
    return corrupt(reasonOf(e));
  }
  const size: [number, number] = [image.height, image.width];

  let text: string;
  try {
    text = await fs.readFile(labelFile, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      return { record: { status: "missing", size, rows: [], lines: [], messages }, image };
    return corrupt(`${displayPath(labelFile, root)}: ${reasonOf(e)}`);
  }
  try {
    const parsed = parseYoloLabels(text, displayPath(labelFile, root));
    for (const note of parsed.notes) messages.push(`WARNING ⚠️ ${shown}: ${note}`);
    const status = parsed.rows.length ? "labelled" : "empty";
    return { record: { status, size, rows: parsed.rows, lines: parsed.lines, messages }, image };
  } catch (e) {
    if (e instanceof CorruptLabelError) return corrupt(e.reason);
    throw e;
  }
}
