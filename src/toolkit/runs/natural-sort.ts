// Natural order for run folder names, as a person reads them: exp, exp2, exp10 (not exp10
// before exp2). Locale-free, so the order is the same on every machine.

const CHUNKS = /(\d+)|(\D+)/g;

function chunks(s: string): string[] {
  return s.match(CHUNKS) ?? [];
}

function compareDigits(a: string, b: string): number {
  // Compared as text after leading zeros so numbers of any length stay exact.
  const x = a.replace(/^0+(?=\d)/, ""),
    y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Negative when `a` comes first: runs of digits compare as numbers, the rest by code unit. */
export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a),
    cb = chunks(b);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i],
      y = cb[i];
    const digits = /^\d/.test(x) && /^\d/.test(y);
    const c = digits ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  // Equal up to leading zeros (exp02 vs exp2): fall back to plain order to stay deterministic.
  return a < b ? -1 : a > b ? 1 : 0;
}
