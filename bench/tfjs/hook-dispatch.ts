// What the engine hook dispatcher (src/tfjs/hooks.ts) costs an op-heavy loop: the same loop
// of small ops with the engine as TensorFlow.js made it, and with three subscribers doing
// what device memory, %memory's tracker and %%trace do per event (a Map of buffers, a Map
// of live tensors, a kernel stack and a failure check), in alternating rounds in one process.
// node dist/bench/tfjs/hook-dispatch.js [rounds] [iterations]
import * as tf from "@tensorflow/tfjs";
import { subscribeTfHooks } from "../../src/tfjs/hooks";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function loopMs(iterations: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) tf.tidy(() => tf.ones([16, 16]).add(1).mul(2).sum());
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function subscribeThree(): () => void {
  const buffers = new Map<object, number>(),
    live = new Map<number, { shape: number[]; kernel?: string }>(),
    kernels: string[] = [];
  let failure: unknown;
  const offs = [
    subscribeTfHooks({
      name: "device-memory-like",
      tensorTracked: (e) => {
        if (e.newData) buffers.set(e.tensor.dataId as object, e.bufferBytes);
      },
      dataFreed: (id) => {
        buffers.delete(id);
      },
      beforeTopLevelKernel: () => {},
    }),
    subscribeTfHooks({
      name: "tracker-like",
      tensorTracked: (e) => {
        live.set(e.tensor.id, { shape: e.tensor.shape, kernel: kernels[kernels.length - 1] });
      },
      tensorDisposed: (t) => {
        live.delete(t.id);
      },
      kernelStart: (c) => {
        kernels.push(c.name);
      },
      kernelEnd: () => {
        kernels.pop();
      },
    }),
    subscribeTfHooks({
      name: "trace-like",
      kernelEnd: (c, e) => {
        if (e) failure ??= c;
      },
    }),
  ];
  return () => {
    offs.forEach((off) => off());
    void failure;
  };
}

export async function hookDispatch(rounds = 7, iterations = 2000): Promise<{ plainMs: number; hookedMs: number; ratios: number[] }> {
  await tf.setBackend("cpu");
  loopMs(iterations); // warm-up, both ways
  subscribeThree()();
  const plain: number[] = [],
    hooked: number[] = [],
    ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const p = loopMs(iterations);
    const off = subscribeThree();
    const h = loopMs(iterations);
    off();
    plain.push(p);
    hooked.push(h);
    ratios.push(h / p);
  }
  return { plainMs: median(plain), hookedMs: median(hooked), ratios };
}

if (require.main === module) {
  const [rounds, iterations] = process.argv.slice(2).map(Number);
  hookDispatch(rounds || 7, iterations || 2000).then((r) => {
    process.stdout.write(
      `${iterations || 2000} x tidy(ones, add, mul, sum) on cpu, median of ${r.ratios.length} rounds: ` +
        `engine as shipped ${r.plainMs.toFixed(1)} ms, with the dispatcher and three subscribers ${r.hookedMs.toFixed(1)} ms ` +
        `(${(r.hookedMs / r.plainMs).toFixed(2)}x; rounds ${r.ratios.map((x) => x.toFixed(2)).join(", ")})\n`,
    );
  });
}
