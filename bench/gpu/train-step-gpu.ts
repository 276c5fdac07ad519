// YOLOv5n's training step on WebGPU next to PyTorch CUDA on the same GPU, and the same
// step's memory next to PyTorch's. Runs on the GPU machine from the package pack-gpu.ts
// builds (`npm run bench -- gpu` prints the command); here it runs as a smoke test on
// SwiftShader at a tiny size. Also times our Conv2DBackpropFilter and Conv2DBackpropInput
// against tfjs-backend-webgpu's own on YOLOv5n's layer shapes at the same batch and size, and
// the whole step with its own two.
//   node dist/bench/gpu/train-step-gpu.js [--batch 16] [--size 640] [--warmup 2] [--steps 5]
//        [--python python3] [--torch-device cuda] [--out FILE.json]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as lab from "../../src";
import { deviceWorkDone } from "../../src/tfjs/webgpu/device-fence";
import { stockWebgpuKernel, webgpuDeviceMemory } from "../../src/tfjs/webgpu";
import { withStockWebgpuKernel, type KernelArgs, type KernelFunc } from "../../src/tfjs/webgpu/kernel-replacements";
import { appendLoadedModules } from "../module-trace";

export interface GpuBenchOptions {
  batch: number;
  size: number;
  warmup: number;
  steps: number;
  python: string;
  torchDevice: string;
  out?: string;
}

const MiB = 2 ** 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface WebgpuSide {
  adapter: string;
  medianMs: number;
  timesMs: number[];
  peakTensorBytes: number;
  deviceBytesAllocated: number;
  params: number;
}

/** The step of bench/toolkit/train-step.ts: SGD on the stand-in loss sum(mean(map^2)), read back each step. */
async function webgpuStep(o: GpuBenchOptions): Promise<WebgpuSide> {
  const report = await lab.switchBackend("webgpu");
  if (tf.getBackend() !== "webgpu") throw new Error(`WebGPU did not start: ${report.describe()}`);
  lab.manualSeed(0);
  const model = lab.yolov5({ scale: "n", nc: 80 }).train();
  const variables = model.parameters();
  const x = tf.randomNormal([o.batch, o.size, o.size, 3]) as tf.Tensor4D;
  const optimizer = tf.train.sgd(1e-3);
  const loss = () => tf.addN((model.forward(x) as tf.Tensor[]).map((m) => tf.mean(tf.square(m)))) as tf.Scalar;
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const t0 = performance.now();
    const { memory } = await lab.measureMemory(
      async () => {
        const cost = optimizer.minimize(loss, true, variables)!;
        await cost.data();
        cost.dispose();
        await deviceWorkDone();
      },
      { phase: "train" },
    );
    if (i >= o.warmup) {
      times.push(performance.now() - t0);
      peak = Math.max(peak, memory.peakBytes);
    }
  }
  const device = webgpuDeviceMemory()!;
  const params = variables.reduce((s, v) => s + v.size, 0);
  tf.dispose([x]);
  optimizer.dispose();
  model.dispose();
  return {
    adapter: device.adapter?.name ?? "unknown",
    medianMs: median(times),
    timesMs: times,
    peakTensorBytes: peak,
    deviceBytesAllocated: device.bytesAllocated,
    params,
  };
}

/** YOLOv5n's convolution shapes at this batch and size: [x, filter, stride, pad]. */
type Shape4 = [number, number, number, number];
function convShapes(b: number, s: number): [Shape4, Shape4, number, number][] {
  return [
    [[b, s, s, 3], [6, 6, 3, 16], 2, 2],
    [[b, s / 2, s / 2, 16], [3, 3, 16, 32], 2, 1],
    [[b, s / 4, s / 4, 16], [3, 3, 16, 16], 1, 1],
    [[b, s / 8, s / 8, 32], [3, 3, 32, 32], 1, 1],
    [[b, s / 16, s / 16, 64], [3, 3, 64, 64], 1, 1],
    [[b, s / 32, s / 32, 128], [3, 3, 128, 128], 1, 1],
  ];
}

interface KernelRow {
  kernel: string;
  shape: string;
  oursMs: number;
  stockMs: number;
}

async function timeKernel(run: () => tf.TensorInfo, reps: number): Promise<number> {
  const backend = tf.backend();
  backend.disposeData(run().dataId); // compile
  await deviceWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) backend.disposeData(run().dataId);
  await deviceWorkDone();
  return (performance.now() - t0) / reps;
}

/** The kernels of ours timed against tfjs-backend-webgpu's, and the arguments of each at a shape. */
const GRADIENT_KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput"] as const;
type GradientKernel = (typeof GRADIENT_KERNELS)[number];

function gradientArgs(
  kernel: GradientKernel,
  x: tf.Tensor4D,
  w: Shape4,
  dy: tf.Tensor,
  stride: number,
  pad: number,
): Omit<KernelArgs, "inputs"> & { inputs: Record<string, tf.Tensor> } {
  const common = { strides: [stride, stride], pad, dataFormat: "NHWC" };
  return kernel === "Conv2DBackpropFilter"
    ? { inputs: { x, dy }, backend: tf.backend(), attrs: { ...common, filterShape: w } }
    : { inputs: { dy, filter: tf.randomNormal(w) }, backend: tf.backend(), attrs: { ...common, inputShape: x.shape } };
}

async function gradientKernels(o: GpuBenchOptions): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const kernel of GRADIENT_KERNELS) {
    const ours = tf.getKernel(kernel, "webgpu")!.kernelFunc as unknown as KernelFunc;
    const stock = stockWebgpuKernel(kernel)!;
    // Our input gradient takes stride 1 only (conv2d-input-grad.ts).
    const shapes = convShapes(o.batch, o.size).filter(([, , stride]) => kernel === "Conv2DBackpropFilter" || stride === 1);
    for (const [xs, ws, stride, pad] of shapes) {
      const x = tf.randomNormal(xs) as tf.Tensor4D;
      const outSize = (n: number) => Math.floor((n + 2 * pad - ws[0]) / stride) + 1;
      const dy = tf.randomNormal([xs[0], outSize(xs[1]), outSize(xs[2]), ws[3]]);
      const args = gradientArgs(kernel, x, ws, dy, stride, pad);
      const reps = Math.max(1, Math.min(10, o.steps));
      const oursMs = await timeKernel(() => ours(args) as tf.TensorInfo, reps);
      const stockMs = await timeKernel(() => stock(args) as tf.TensorInfo, reps);
      rows.push({ kernel, shape: `x [${xs}] filter [${ws}] stride ${stride}`, oursMs, stockMs });
      tf.dispose([x, dy, ...Object.values(args.inputs).filter((t) => t !== x && t !== dy)]);
    }
  }
  return rows;
}

interface TorchSide {
  torch: string;
  device: string;
  gpu?: string;
  median_ms: number;
  times_ms: number[];
  max_allocated: number;
  max_reserved: number;
  params: number;
}

function torchStep(o: GpuBenchOptions): TorchSide {
  const script = path.join(__dirname, "..", "..", "..", "bench", "gpu", "train_step_cuda.py");
  const r = spawnSync(
    o.python,
    [
      script,
      "--batch",
      String(o.batch),
      "--size",
      String(o.size),
      "--warmup",
      String(o.warmup),
      "--steps",
      String(o.steps),
      "--device",
      o.torchDevice,
    ],
    { encoding: "utf8", timeout: 1_200_000 },
  );
  if (r.status !== 0) throw new Error(`PyTorch side failed (${o.python} ${script}): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

export function formatGpuTable(o: GpuBenchOptions, w: WebgpuSide, t: TorchSide, kernels: KernelRow[], stockStep: WebgpuSide): string {
  const mib = (b: number) => (b ? `${(b / MiB).toFixed(0)} MiB` : "n/a (not CUDA)");
  const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(2)}x` : "n/a");
  const lines = [
    `YOLOv5n (${w.params.toLocaleString("en-US")} params; PyTorch ${t.params.toLocaleString("en-US")}), batch ${o.batch}, ${o.size}x${o.size}, SGD on sum(mean(map^2)); median of ${o.steps} steps after ${o.warmup}`,
    `WebGPU adapter: ${w.adapter}; PyTorch ${t.torch} on ${t.device}${t.gpu ? ` (${t.gpu})` : ""}`,
    "",
    "| | tfjs-lab WebGPU | PyTorch | ratio |",
    "|---|---|---|---|",
    `| training step | ${w.medianMs.toFixed(1)} ms | ${t.median_ms.toFixed(1)} ms | **${(w.medianMs / t.median_ms).toFixed(1)}x** |`,
    `| the same step with tfjs-backend-webgpu's own convolution gradients | ${stockStep.medianMs.toFixed(1)} ms | | ${(stockStep.medianMs / t.median_ms).toFixed(1)}x |`,
    `| peak tensor memory (tfjs live bytes / torch max_memory_allocated) | ${mib(w.peakTensorBytes)} | ${mib(t.max_allocated)} | ${ratio(w.peakTensorBytes, t.max_allocated)} |`,
    `| device memory held (WebGPU buffers created / torch max_memory_reserved) | ${mib(w.deviceBytesAllocated)} | ${mib(t.max_reserved)} | ${ratio(w.deviceBytesAllocated, t.max_reserved)} |`,
    "",
    "| kernel (YOLOv5n's shapes) | ours | tfjs-backend-webgpu's | speed-up |",
    "|---|---|---|---|",
    ...kernels.map(
      (k) => `| ${k.kernel}, ${k.shape} | ${k.oursMs.toFixed(2)} ms | ${k.stockMs.toFixed(2)} ms | ${(k.stockMs / k.oursMs).toFixed(1)}x |`,
    ),
  ];
  return lines.join("\n");
}

export async function gpuTrainStepBench(o: GpuBenchOptions): Promise<string> {
  const w = await webgpuStep(o);
  const stockStep = await withStockWebgpuKernel("Conv2DBackpropFilter", () =>
    withStockWebgpuKernel("Conv2DBackpropInput", () => webgpuStep(o)),
  );
  const kernels = await gradientKernels(o);
  const t = torchStep(o);
  const table = formatGpuTable(o, w, t, kernels, stockStep);
  if (o.out)
    fs.writeFileSync(o.out, JSON.stringify({ options: o, webgpu: w, webgpuStockConvGrads: stockStep, torch: t, kernels }, null, 1));
  return table;
}

function parseArgs(argv: string[]): GpuBenchOptions {
  const o: GpuBenchOptions = { batch: 16, size: 640, warmup: 2, steps: 5, python: "python3", torchDevice: "cuda" };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === "--batch") o.batch = Number(v);
    else if (k === "--size") o.size = Number(v);
    else if (k === "--warmup") o.warmup = Number(v);
    else if (k === "--steps") o.steps = Number(v);
    else if (k === "--python") o.python = v;
    else if (k === "--torch-device") o.torchDevice = v;
    else if (k === "--out") o.out = v;
    else
      throw new Error(
        `unknown argument ${k}; usage: train-step-gpu.js [--batch 16] [--size 640] [--warmup 2] [--steps 5] [--python python3] [--torch-device cuda] [--out FILE]`,
      );
  }
  if (o.size % 32 !== 0) throw new Error(`--size must be a multiple of 32 (YOLOv5's largest stride), got ${o.size}`);
  return o;
}

if (require.main === module) {
  gpuTrainStepBench(parseArgs(process.argv.slice(2))).then(
    (table) => {
      process.stdout.write(`${table}\n`);
      appendLoadedModules();
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`gpu bench failed: ${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
