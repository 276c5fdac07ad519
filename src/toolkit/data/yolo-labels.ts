/**
 * Parsing and checking one YOLO label file (`class cx cy w h` per line, normalised), with
 * YOLOv5 v7.0's verify_image_label rules. What happens to bad data, case by case:
 *
 *  - label file missing or empty: the image is a background image (no labels), as in YOLOv5.
 *  - a line with a number of values other than 5, a value that is not a number (`abc`,
 *    `nan`, `inf`), a negative value, a coordinate above 1, or a fractional class id:
 *    YOLOv5 ignores the whole image with `WARNING ⚠️ {im_file}: ignoring corrupt
 *    image/label: {reason}`; so do we, with the reason naming the label file and line.
 *  - a box with zero width or height: YOLOv5 keeps it (build_targets drops it later, as
 *    its anchor ratio is infinite); we drop that one line at once with a warning, so no
 *    box that cannot be learned is passed on silently.
 *  - duplicate lines: removed with YOLOv5's `{n} duplicate labels removed` warning.
 *  - a class id >= nc: YOLOv5 accepts the label here and train.py stops with
 *    `AssertionError: Label class {c} exceeds nc={nc} ...`; the dataset raises that after
 *    its scan, naming the first file and line (see yolo-dataset.ts).
 */

export interface ParsedLabels {
  /** Rows of [class, cx, cy, w, h]. */
  rows: number[][];
  /** 1-based line number of each row in the file, for later messages. */
  lines: number[];
  /** Warnings about lines dropped (the image is kept). */
  notes: string[];
}

/** A label file that makes YOLOv5 ignore its image; `reason` names file and line. */
export class CorruptLabelError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CorruptLabelError";
  }
}

/**
 * Parses label text. `where` is the label file's display path, used as `where:line:`.
 * Throws CorruptLabelError for anything that makes YOLOv5 skip the image.
 */
export function parseYoloLabels(text: string, where: string): ParsedLabels {
  const rows: number[][] = [];
  const lines: number[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/).filter((f) => f.length > 0);
    if (fields.length === 0) return;
    const at = `${where}:${i + 1}`;
    if (fields.length !== 5) {
      const hint = fields.length > 6 ? " (polygon segments are not supported: convert them to boxes)" : "";
      throw new CorruptLabelError(`${at}: expected 5 values (class x y w h), got ${fields.length}${hint}`);
    }
    const values = fields.map((f) => {
      const v = Number(f);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(f)) throw new CorruptLabelError(`${at}: could not convert string to float: '${f}'`);
      if (!Number.isFinite(v)) throw new CorruptLabelError(`${at}: value '${f}' is not a finite number`);
      return v;
    });
    const negative = values.filter((v) => v < 0);
    if (negative.length) throw new CorruptLabelError(`${at}: negative label values [${negative.join(" ")}]`);
    const outside = values.slice(1).filter((v) => v > 1);
    if (outside.length) {
      throw new CorruptLabelError(`${at}: non-normalized or out of bounds coordinates [${outside.join(" ")}] (x y w h must be fractions of the image size, 0 to 1)`);
    }
    if (!Number.isInteger(values[0])) throw new CorruptLabelError(`${at}: class id ${fields[0]} is not an integer`);
    if (values[3] === 0 || values[4] === 0) {
      notes.push(`${at}: box with zero width or height dropped`);
      return;
    }
    const key = values.join(" ");
    if (seen.has(key)) {
      duplicates++;
      return;
    }
    seen.add(key);
    rows.push(values);
    lines.push(i + 1);
  });
  if (duplicates) notes.push(`${duplicates} duplicate labels removed`);
  return { rows, lines, notes };
}

/** YOLOv5's img2label_paths: the last /images/ becomes /labels/, the extension becomes .txt. */
export function imageToLabelPath(imageFile: string): string {
  const sep = imageFile.includes("\\") && !imageFile.includes("/") ? "\\" : "/";
  const sa = `${sep}images${sep}`;
  const sb = `${sep}labels${sep}`;
  const at = imageFile.lastIndexOf(sa);
  const swapped = at >= 0 ? imageFile.slice(0, at) + sb + imageFile.slice(at + sa.length) : imageFile;
  const dot = swapped.lastIndexOf(".");
  const slash = swapped.lastIndexOf(sep);
  return (dot > slash ? swapped.slice(0, dot) : swapped) + ".txt";
}
