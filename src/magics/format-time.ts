// IPython's time formatting (IPython.core.magics.execution._format_time), reproduced
// exactly so %time and %timeit read as Python users know them.

/** C's "%.*g". */
export function formatG(x: number, precision: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const [mant, expPart] = x.toExponential(precision - 1).split("e");
  const exp = Number(expPart);
  const strip = (s: string) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  if (exp < -4 || exp >= precision) return `${strip(mant)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return strip(x.toFixed(Math.max(0, precision - 1 - exp)));
}

/** Seconds -> "4.66 µs", "1.2 s", "1min 5s". */
export function formatTime(seconds: number, precision = 3): string {
  if (seconds >= 60) {
    const parts: [string, number][] = [
      ["d", 86400],
      ["h", 3600],
      ["min", 60],
      ["s", 1],
    ];
    const out: string[] = [];
    let left = seconds;
    for (const [suffix, length] of parts) {
      const value = Math.floor(left / length);
      if (value > 0) {
        left = left % length;
        out.push(`${value}${suffix}`);
      }
      if (left < 1) break;
    }
    return out.join(" ");
  }
  const units = ["s", "ms", "\u00b5s", "ns"];
  const scaling = [1, 1e3, 1e6, 1e9];
  // Python: min(-int(math.floor(math.log10(t)) // 3), 3); floor division rounds toward -inf.
  const order = seconds > 0 ? Math.min(-Math.floor(Math.floor(Math.log10(seconds)) / 3), 3) : 3;
  return `${formatG(seconds * scaling[order], precision)} ${units[order]}`;
}

/** IPython's TimeitResult text. */
export class TimeitResult {
  constructor(
    readonly loops: number,
    readonly repeat: number,
    readonly allRuns: number[],
    readonly precision = 3,
  ) {}
  get timings(): number[] {
    return this.allRuns.map((t) => t / this.loops);
  }
  get average(): number {
    const t = this.timings;
    return t.reduce((a, b) => a + b, 0) / t.length;
  }
  get stdev(): number {
    const m = this.average,
      t = this.timings;
    return Math.sqrt(t.reduce((a, x) => a + (x - m) ** 2, 0) / t.length);
  }
  get best(): number {
    return Math.min(...this.timings);
  }
  get worst(): number {
    return Math.max(...this.timings);
  }
  toString(): string {
    const loops = this.loops.toLocaleString("en-US");
    return `${formatTime(this.average, this.precision)} \u00b1 ${formatTime(this.stdev, this.precision)} per loop (mean \u00b1 std. dev. of ${this.repeat} run${this.repeat === 1 ? "" : "s"}, ${loops} loop${this.loops === 1 ? "" : "s"} each)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `<TimeitResult : ${this.toString()}>`;
  }
}
