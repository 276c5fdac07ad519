/**
 * Parsing and checking one YOLO label file (`class cx cy w h` per line, normalised), with
 * YOLOv5 v7.0's verify_image_label rules. What happens to bad data, case by case:
 *
 *  - label file missing or empty: the image is a background image (no labels), as in YOLOv5.
 *  - polygon (segment) rows, `class x1 y1 x2 y2 ...`: a row with more than 6 values makes
 *    the whole file a polygon file, as in YOLOv5: every row, whatever its length, is read
 *    as a class and x y pairs and becomes the box around its points (segments2boxes). A
 *    5-value box row in such a file is thus read as the two points (cx, cy) and (w, h);
 *    YOLOv5 does that silently, we do it too but say so. An odd number of coordinates, or
 *    none, makes the image corrupt (YOLOv5 fails to reshape them).
 *  - a box file row with a number of values other than 5, a value that is not a number
 *    (`abc`, `nan`, `inf`), a negative value, a coordinate above 1, or a fractional class
 *    id: YOLOv5 ignores the whole image with `WARNING ⚠️ {im_file}: ignoring corrupt
 *    image/label: {reason}`; so do we, with the reason naming the label file and line.
 *    Bounds are checked on the box (for polygons, the box made from the points), in float32
 *    as YOLOv5's numpy arrays hold them, so 1.00000001 passes as it does there.
 *  - a box with zero width or height: YOLOv5 keeps it (build_targets drops it later, as
 *    its anchor ratio is infinite); we drop that one line at once with a warning, so no
 *    box that cannot be learned is passed on silently.
 *  - duplicate rows (same class and box): removed with YOLOv5's `{n} duplicate labels
 *    removed` warning. YOLOv5's np.unique also sorts the rows; we keep file order.
 *  - a class id >= nc: YOLOv5 accepts the label here and train.py stops with
 *    `AssertionError: Label class {c} exceeds nc={nc} ...`; the dataset raises that after
 *    its scan, naming the first file and line (see yolo-dataset.ts).
 */

export interface ParsedLabels {
  /** Rows of [class, cx, cy, w, h]. */
  rows: number[][];
  /** 1-based line number of each row in the file, for later messages. */
  lines: number[];
  /** Warnings about lines dropped or reinterpreted (the image is kept). */
  notes: string[];
  /** The file had polygon rows, so every row was read as a polygon. */
  polygons: boolean;
}

/** A label file that makes YOLOv5 ignore its image; `reason` names file and line. */
export class CorruptLabelError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CorruptLabelError";
  }
}

/** YOLOv5's test for a segment file: any row with more than 6 values. */
const POLYGON_MIN_VALUES = 7;

/**
 * Parses label text. `where` is the label file's display path, used as `where:line:`.
 * Throws CorruptLabelError for anything that makes YOLOv5 skip the image.
 */
export function parseYoloLabels(text: string, where: string): ParsedLabels {
  const rawRows: { fields: string[]; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw
      .trim()
      .split(/\s+/)
      .filter((f) => f.length > 0);
    if (fields.length) rawRows.push({ fields, line: i + 1 });
  });
  const polygons = rawRows.some((r) => r.fields.length >= POLYGON_MIN_VALUES);
  const rows: number[][] = [];
  const lines: number[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const { fields, line } of rawRows) {
    const at = `${where}:${line}`;
    if (!polygons && fields.length !== 5) {
      throw new CorruptLabelError(`${at}: expected 5 values (class x y w h), got ${fields.length}`);
    }
    const numbers = fields.map((f) => toNumber(f, at));
    if (polygons && fields.length === 5)
      notes.push(`${at}: box row read as the polygon (x y) (w h), as YOLOv5 does in a file with polygon rows`);
    const values = polygons ? [numbers[0], ...polygonBox(numbers.slice(1), at)] : numbers;
    checkRow(values, fields[0], at, polygons);
    if (values[3] === 0 || values[4] === 0) {
      notes.push(`${at}: box with zero width or height dropped`);
      continue;
    }
    const key = values.join(" ");
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    rows.push(values);
    lines.push(line);
  }
  if (duplicates) notes.push(`${duplicates} duplicate labels removed`);
  return { rows, lines, notes, polygons };
}

/** Decimal numbers as Python's float() reads them (JS's Number would also take 0x10 or 0b1). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** float(): nan and inf are numbers to Python but no use as labels. */
function toNumber(field: string, at: string): number {
  if (NON_FINITE.test(field)) throw new CorruptLabelError(`${at}: value '${field}' is not a finite number`);
  if (!DECIMAL.test(field)) throw new CorruptLabelError(`${at}: could not convert string to float: '${field}'`);
  return Number(field);
}

/** segments2boxes for one polygon: the (cx, cy, w, h) of the box from its points' min and max. */
function polygonBox(coords: number[], at: string): [number, number, number, number] {
  if (coords.length === 0) throw new CorruptLabelError(`${at}: polygon row has a class but no points`);
  if (coords.length % 2 !== 0)
    throw new CorruptLabelError(`${at}: polygon row has ${coords.length} coordinates; x y pairs need an even number`);
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let k = 0; k < coords.length; k += 2) {
    x1 = Math.min(x1, coords[k]);
    x2 = Math.max(x2, coords[k]);
    y1 = Math.min(y1, coords[k + 1]);
    y2 = Math.max(y2, coords[k + 1]);
  }
  return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1];
}

/** verify_image_label's asserts on one (class, cx, cy, w, h) row, plus an integer class. */
function checkRow(values: number[], classField: string, at: string, polygon: boolean): void {
  const of = polygon ? " in the polygon's box" : "";
  const negative = values.filter((v) => v < 0);
  if (negative.length) throw new CorruptLabelError(`${at}: negative label values [${negative.join(" ")}]${of}`);
  const outside = values.slice(1).filter((v) => Math.fround(v) > 1);
  if (outside.length) {
    throw new CorruptLabelError(
      `${at}: non-normalized or out of bounds coordinates [${outside.join(" ")}]${of} (x y w h must be fractions of the image size, 0 to 1)`,
    );
  }
  if (!Number.isInteger(values[0])) throw new CorruptLabelError(`${at}: class id ${classField} is not an integer`);
}

/**
 * YOLOv5's img2label_paths, `sb.join(x.rsplit(sa, 1)).rsplit('.', 1)[0] + '.txt'`: the last
 * `/images/` segment becomes `/labels/` (case-sensitive; a path without one keeps its
 * folder) and the extension becomes .txt.
 */
export function imageToLabelPath(imageFile: string): string {
  const sep = imageFile.includes("\\") && !imageFile.includes("/") ? "\\" : "/";
  const sa = `${sep}images${sep}`;
  const sb = `${sep}labels${sep}`;
  const at = imageFile.lastIndexOf(sa);
  const swapped = at >= 0 ? imageFile.slice(0, at) + sb + imageFile.slice(at + sa.length) : imageFile;
  const dot = swapped.lastIndexOf(".");
  const slash = swapped.lastIndexOf(sep);
  return `${dot > slash ? swapped.slice(0, dot) : swapped}.txt`;
}
