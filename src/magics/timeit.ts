// %timeit / %%timeit: IPython's timing with auto-ranging (1, 2, 5, 10, 20, 50, ... loops
// until a run takes 0.2 s), 7 runs, mean ± std. dev. per loop. The statement is compiled
// once into a function; blocking loops stop on interrupt (they run under breakOnSigint).
// On a backend that queues work for a device (webgpu) a run ends when the device has done
// the run's work, not when the ops were dispatched; each loop's tensors are freed.
import { defineMagic, UsageError } from "./registry";
import { TimeitResult, formatTime } from "./format-time";
import { LoopTensors } from "./loop-tensors";
import { runInterruptible } from "../engine/interruptible";
import { KeyboardInterrupt } from "../engine/errors";
import { deviceWorkDone } from "../tfjs/webgpu/device-fence";

type Timed = () => unknown;

async function timeLoops(fn: Timed, isAsync: boolean, loops: number, tensors: LoopTensors, signal: AbortSignal): Promise<number> {
  if (signal.aborted) throw new KeyboardInterrupt();
  await deviceWorkDone(); // work queued before the run is not the run's
  const t0 = process.hrtime.bigint();
  if (isAsync) {
    for (let i = 0; i < loops; i++) {
      await tensors.runAsync(fn);
      if (signal.aborted) throw new KeyboardInterrupt();
    }
  } else {
    runInterruptible(() => {
      for (let i = 0; i < loops; i++) tensors.run(fn);
    });
  }
  await deviceWorkDone();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Options come first (`-n 10 -r3 -q`); the statement is the rest of the line and may contain "-". */
function leadingOptions(args: string, usage: string): { options: Record<string, string | undefined>; rest: string } {
  const options: Record<string, string | undefined> = {};
  let s = args.trimStart();
  for (;;) {
    const m = /^-([A-Za-z])(\S*)\s*/.exec(s);
    if (!m) break;
    const [all, flag, attached] = m;
    if ("nrp".includes(flag)) {
      s = s.slice(all.length);
      if (attached) options[flag] = attached;
      else {
        const v = /^(\S+)\s*/.exec(s);
        if (!v) throw new UsageError(`%timeit: option -${flag} needs a value`, usage);
        options[flag] = v[1];
        s = s.slice(v[0].length);
      }
    } else if ("qo".includes(flag) && !attached) {
      options[flag] = undefined;
      s = s.slice(all.length);
    } else {
      throw new UsageError(`%timeit: option -${flag} not recognized`, usage);
    }
  }
  return { options, rest: s };
}

export const timeitMagic = defineMagic({
  name: "timeit",
  kind: "both",
  usage: "%timeit [-n N] [-r R] [-p P] [-q] [-o] STATEMENT   |   %%timeit [options] (then the cell body)",
  help: `Time a statement or cell over many loops, as IPython's %timeit does.
  -n N  loops per run (default: chosen so that a run takes at least 0.2 s)
  -r R  number of runs (default 7)
  -p P  significant digits in the result (default 3)
  -q    print nothing
  -o    return the TimeitResult (fields: loops, repeat, allRuns, average, stdev, best, worst)
Code with await is timed with each loop awaited. On webgpu a run lasts until the GPU has
finished its work. Tensors a loop makes are freed after it, except those its variables hold.`,
  async run(args, ctx, body) {
    const { options, rest } = leadingOptions(args, this.usage);
    const intOpt = (v: string | undefined, name: string, dflt: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`%timeit: -${name} needs a positive integer, got "${v}"`, this.usage);
      return n;
    };
    const loops0 = intOpt(options.n, "n", 0);
    const repeat = intOpt(options.r, "r", 7);
    const precision = intOpt(options.p, "p", 3);
    const values = { q: "q" in options, o: "o" in options };
    const code = body ?? rest;
    if (!code.trim()) throw new UsageError("%timeit: nothing to time", this.usage);
    const isAsync = /\bawait\b/.test(code);
    const made = await ctx.runCode(`(${isAsync ? "async " : ""}() => {\n${code}\n})`, 1);
    const fn = made.value as Timed;
    const tensors = new LoopTensors(ctx.namespace);
    let loops = loops0;
    if (!loops) {
      for (let i = 1; !loops; i *= 10) {
        for (const j of [1, 2, 5]) {
          const t = await timeLoops(fn, isAsync, i * j, tensors, ctx.signal);
          if (t >= 0.2) {
            loops = i * j;
            break;
          }
        }
      }
    }
    const allRuns: number[] = [];
    for (let r = 0; r < repeat; r++) allRuns.push(await timeLoops(fn, isAsync, loops, tensors, ctx.signal));
    const result = new TimeitResult(loops, repeat, allRuns, precision);
    if (!values.q) {
      if (result.worst > 4 * result.best && result.best > 0 && result.worst > 1e-6) {
        ctx.print(
          `The slowest run took ${(result.worst / result.best).toFixed(2)} times longer than the fastest. This could mean that an intermediate result is being cached.\n`,
        );
      }
      ctx.print(`${result.toString()}\n`);
    }
    return values.o ? result : undefined;
  },
});
export { formatTime };
