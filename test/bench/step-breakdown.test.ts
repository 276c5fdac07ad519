// The step breakdown (bench/toolkit/step-breakdown.ts): op names of both frameworks fall in the
// right categories, "outside kernels" is the step less its kernels, and tfjs-lab's side profiles
// a real step on wasm and counts its convolutions' FLOPs as the architecture has them. PyTorch
// is not among the test's Debian packages: its side is given as the profile it prints.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { type StepProfile, breakdownRows, formatBreakdown } from "../../bench/toolkit/step-breakdown";

const SCRIPT = path.resolve(__dirname, "../../bench/toolkit/step-breakdown.js");

test("op names of both frameworks fall in their categories; outside kernels is the step less the kernels", () => {
  const ours: StepProfile = {
    stepMs: 100,
    byOp: {
      Conv2D: 20,
      Conv2DBackpropFilter: 15,
      Conv2DBackpropInput: 10,
      TfjsLabBatchNormActivationTrainGrad: 8,
      TfjsLabChannelMoments: 2,
      Add: 5,
    },
  };
  const torch: StepProfile = {
    stepMs: 50,
    byOp: {
      "aten::convolution_backward": 12,
      "aten::mkldnn_convolution": 6,
      "aten::_slow_conv2d_forward": 2,
      "aten::native_batch_norm": 4,
      "aten::native_batch_norm_backward": 3,
      "aten::silu_backward": 2,
      "aten::silu": 1,
      "aten::add": 5,
    },
  };
  const rows = breakdownRows(ours, torch);
  assert.deepEqual(
    rows.map((r) => [r.oursMs, r.torchMs]),
    [
      [45, 20],
      [10, 10],
      [5, 5],
      [40, 15],
      [100, 50],
    ],
  );
  const table = formatBreakdown(rows, 4.5e9);
  assert.match(table, /\| convolutions \(forward and both gradients\) \| 45\.0 \| 20\.0 \| 2\.25x \|/);
  assert.match(table, /4\.5 GFLOP a step; tfjs-lab 100\.0 GFLOP\/s, PyTorch 225\.0 GFLOP\/s/);
  // PyTorch's profiled kernels adding up to more than its step: no bookkeeping, and no ratio to it.
  const over = breakdownRows(ours, { ...torch, stepMs: 30 });
  assert.equal(over[3].torchMs, 0);
  assert.match(formatBreakdown(over), /\| outside kernels \(framework bookkeeping\) \| 40\.0 \| 0\.0 \| - \|/);
});

test("tfjs-lab's side profiles a real step on wasm: its kernels by name, and the convolutions' FLOPs of the small classifier", () => {
  const out = execFileSync(process.execPath, [SCRIPT, "--side", "tfjs", "--model", "small"], {
    encoding: "utf8",
    env: { ...process.env, TFJS_LAB_WASM_THREADS: "1" },
    timeout: 300_000,
  });
  const p = JSON.parse(out.trim().split("\n").pop()!) as StepProfile;
  assert.ok(p.stepMs > 0);
  for (const name of ["Conv2D", "Conv2DBackpropFilter", "Conv2DBackpropInput"]) assert.ok(p.byOp[name] > 0, `${name} profiled`);
  assert.ok(!("unnamed scope" in p.byOp), "custom gradients' scopes are not counted twice");
  // Batch 32: 3x3 stride-2 convolutions 3->16 (32x32 out), 16->32 (16x16), 32->64 (8x8). Each
  // layer's forward and filter gradient; the input gradient of all but the first (x needs none).
  const layer = (pixels: number, ci: number, co: number) => 2 * 32 * pixels * 9 * ci * co;
  const [l1, l2, l3] = [layer(32 * 32, 3, 16), layer(16 * 16, 16, 32), layer(8 * 8, 32, 64)];
  assert.equal(p.convFlops, 2 * (l1 + l2 + l3) + l2 + l3);
});
