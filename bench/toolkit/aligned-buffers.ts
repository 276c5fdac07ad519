// What the wasm backend's 64-byte buffers (src/tfjs/wasm-allocator.ts) are worth to our
// convolution kernels: five of YOLOv5n's shapes, forward and both gradients, with every
// buffer as the allocator aligns it and with every buffer moved to 8 mod 16 (where the
// module's malloc put most tensors before). The two take turns in one process, so the
// machine's load moves both alike; each figure is the median over the rounds of the best of 8.
//   TFJS_LAB_WASM_THREADS=1 node dist/bench/toolkit/aligned-buffers.js [--rounds N]
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs";
import { wrapBackendAllocator } from "../../src/tfjs/wasm-allocator";
import { median } from "./train-step";

/** [n, h, w, ci, co, k, stride]: 1x1, 3x3 stride 2 and 3x3 stride 1 convolutions of YOLOv5n at 320x320, batch 8. */
const SHAPES: number[][] = [
  [8, 40, 40, 64, 256, 1, 1],
  [8, 10, 10, 512, 256, 1, 1],
  [8, 80, 80, 32, 32, 1, 1],
  [8, 40, 40, 64, 128, 3, 2],
  [8, 40, 40, 32, 32, 3, 1],
];

/** While `shifted.on`, every new buffer starts 8 bytes past an aligned one. */
function shiftableAllocations(): { on: boolean } {
  const shifted = { on: false };
  wrapBackendAllocator(tf.backend(), (next) => {
    const starts = new Map<number, number>();
    return {
      _malloc(bytes) {
        if (!shifted.on) return next._malloc(bytes);
        const start = next._malloc(bytes + 8) >>> 0;
        starts.set(start + 8, start);
        return start + 8;
      },
      _free(ptr) {
        const start = starts.get(ptr >>> 0);
        if (start === undefined) return next._free(ptr);
        starts.delete(ptr >>> 0);
        next._free(start);
      },
    };
  });
  return shifted;
}

function bestOf(times: number, run: () => tf.Tensor): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    run().dispose();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Milliseconds of each kernel: shape and kind -> [aligned, shifted] over the rounds. */
function measure(rounds: number): Map<string, [number[], number[]]> {
  const shifted = shiftableAllocations();
  const times = new Map<string, [number[], number[]]>();
  for (let round = 0; round < rounds; round++) {
    for (const mode of [0, 1]) {
      shifted.on = mode === 1;
      for (const [n, h, w, ci, co, k, s] of SHAPES) {
        // Made under the mode, so that operands and outputs alike are aligned or shifted.
        const x = tf.randomNormal([n, h, w, ci]) as tf.Tensor4D;
        const filter = tf.randomNormal([k, k, ci, co]) as tf.Tensor4D;
        const pad: "valid" | [[number, number], [number, number], [number, number], [number, number]] =
          k === 1
            ? "valid"
            : [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0],
              ];
        const y = tf.conv2d(x, filter, s, pad);
        const dy = tf.randomNormal(y.shape);
        const attrs = { strides: s, pad, dataFormat: "NHWC" };
        const kernels: [string, () => tf.Tensor][] = [
          ["forward", () => tf.conv2d(x, filter, s, pad)],
          [
            "input gradient",
            () => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
          ],
          [
            "filter gradient",
            () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: filter.shape }) as tf.Tensor,
          ],
        ];
        for (const [kind, run] of kernels) {
          const key = `${k}x${k} s${s} [${n},${h},${w},${ci}] -> ${co}, ${kind}`;
          if (!times.has(key)) times.set(key, [[], []]);
          times.get(key)![mode].push(bestOf(8, run));
        }
        tf.dispose([x, filter, y, dy]);
      }
    }
  }
  shifted.on = false;
  return times;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf("--rounds");
  const rounds = at >= 0 ? Number(process.argv[at + 1]) : 6;
  await initBackend();
  if (tf.getBackend() !== "wasm") throw new Error(`this bench needs the wasm backend, not ${tf.getBackend()}`);
  const lines = ["| kernel | aligned, ms | 8 mod 16, ms | ratio |", "|---|---|---|---|"];
  let aligned = 0,
    shifted = 0;
  for (const [key, [a, b]] of measure(rounds)) {
    const [ma, mb] = [median(a), median(b)];
    aligned += ma;
    shifted += mb;
    lines.push(`| ${key} | ${ma.toFixed(2)} | ${mb.toFixed(2)} | ${(mb / ma).toFixed(3)}x |`);
  }
  lines.push(
    `| all ${SHAPES.length * 3} kernels | ${aligned.toFixed(1)} | ${shifted.toFixed(1)} | **${(shifted / aligned).toFixed(3)}x** |`,
  );
  console.log(`${rounds} rounds, ${tf.getBackend()}\n\n${lines.join("\n")}`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
