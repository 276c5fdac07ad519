// One metric, two spellings: YOLOv5's results.csv says `metrics/mAP_0.5` and `train/box_loss`,
// the session's runs (run-registry) say `mAP@0.5` and `box`. Names are compared by a key both
// spellings reduce to, so `--metric mAP_0.5`, `mAP@0.5`, `box_loss` or `box` find either.

/**
 * The comparison key of a curve name: lower case, `@` as `_`, no `metrics/` or `x/` prefix,
 * `train/X_loss` and `X_loss` as `X` (a training loss part), Ultralytics' `mAP50-95`/`mAP50`
 * as `map_0.5:0.95`/`map_0.5`, `accuracy_top1` as `top1`. Validation losses keep their
 * prefix: `val/box_loss` is `val/box`.
 */
export function curveKey(name: string): string {
  let k = name.trim().toLowerCase().replace(/@/g, "_");
  k = k.replace(/^(metrics|x)\//, "").replace(/^accuracy_(top\d+)/, "$1");
  const train = /^train\//.test(k);
  if (train) k = k.slice("train/".length);
  if (train || !k.includes("/")) k = k === "loss" ? k : k.replace(/_loss$/, "");
  k = k.replace(/^val\/(\w+)_loss$/, "val/$1");
  return k.replace(/^map50-95/, "map_0.5:0.95").replace(/^map50(?![\d.])/, "map_0.5");
}

/**
 * The name in `names` that `wanted` means: the exact name, else the one with the same key,
 * else the box variant of a segmentation run (`metrics/mAP_0.5(B)`).
 */
export function findCurveName(names: readonly string[], wanted: string): string | undefined {
  if (names.includes(wanted)) return wanted;
  const key = curveKey(wanted);
  return names.find((n) => curveKey(n) === key) ?? names.find((n) => curveKey(n) === `${key}(b)`);
}

/** results.csv columns that are training loss parts (train/box_loss, train/seg_loss... or train/loss). */
export function trainLossColumns(columns: readonly string[]): string[] {
  const whole = columns.find((c) => c.trim().toLowerCase() === "train/loss");
  if (whole) return [whole];
  return columns.filter((c) => /^train\/\w+_loss$/i.test(c));
}

/** How a results.csv column is named in lists for people: without `metrics/`, `train/` or `x/`. */
export function shortColumnName(column: string): string {
  return column.replace(/^(metrics|train|x)\//, "");
}
