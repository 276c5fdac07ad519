/** Byte sizes as PyTorch's allocator prints them (c10 format_size): 2 decimals, binary units. */
export function formatSize(bytes: number): string {
  if (bytes <= 1024) return `${bytes} bytes`;
  if (bytes <= 1048576) return `${(bytes / 1024).toFixed(2)} KiB`;
  if (bytes <= 1073741824) return `${(bytes / 1048576).toFixed(2)} MiB`;
  return `${(bytes / 1073741824).toFixed(2)} GiB`;
}

const UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  t: 1e12,
  tb: 1e12,
};

/** Parses "16GiB", "1.5 GB", "512MiB" or a plain number of bytes. */
export function parseBytes(value: number | string): number {
  if (typeof value === "number") {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`memory size must be a positive number of bytes, got ${value}`);
    return Math.floor(value);
  }
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = m ? UNITS[(m[2] || "b").toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`cannot read memory size "${value}" (use e.g. "16GiB", "512MiB" or bytes)`);
  return parseBytes(parseFloat(m[1]) * unit);
}
