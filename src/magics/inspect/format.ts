// Small text formats shared by the inspection magics.
export function shapeText(shape: readonly (number | null)[] | null | undefined): string {
  return shape ? `[${shape.map((d) => (d === null ? "None" : d)).join(", ")}]` : "--";
}

/** 7235389 -> "7,235,389". */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(2);
}

/** "+1.50 MiB" / "-512 B": a signed byte change. */
export function signedBytes(bytes: number, format: (n: number) => string): string {
  return `${bytes < 0 ? "-" : "+"}${format(Math.abs(bytes))}`;
}
