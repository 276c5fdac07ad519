// How a job's parts divide its items (values, rows, images): contiguous ranges, as even as
// whole units allow, the remainder with the last part. Imports nothing: the kernel threads use it.

/** Items [i0, i1) of part `part` of `parts`, starts on multiples of `unit`. */
export function partRange(count: number, part: number, parts: number, unit: number): [number, number] {
  const units = Math.floor(count / unit);
  const i0 = unit * Math.floor((units * part) / parts);
  const i1 = part === parts - 1 ? count : unit * Math.floor((units * (part + 1)) / parts);
  return [i0, i1];
}
