// Convolutions of random geometries on the threaded wasm backend (our kernels where they
// apply, the stock ones and the empty-shape guards elsewhere) against the cpu backend:
// strides 1-3, filters 1-7 (square or not), "same", "valid" and explicit padding, 1-255
// channels, batches 1-9 (the filter gradient's chunks of images), depthwise too; forward, input
// gradient and filter gradient. The fixed-shape tests cover YOLOv5n's layers; this covers
// the geometries a user's own model may have. Seeded, so a failure names a reproducible case.
process.env.TFJS_LAB_WASM_THREADS = "2";
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { switchBackend } from "../../src/tfjs";
import { randomArray, uniformStream } from "../helpers/random-array";

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
interface Geometry {
  depthwise: boolean;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}

function geometries(count: number, seed: number): Geometry[] {
  const next = uniformStream(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  return Array.from({ length: count }, () => {
    const depthwise = int(0, 4) === 0;
    const [h, w] = [int(1, 24), int(1, 24)];
    const channels = pick([1, 3, 4, 5, 8, 12, 16, 17, 24, 32, 33, 64]);
    const kh = int(1, 7);
    const kw = int(0, 2) === 0 ? int(1, 7) : kh;
    const out = depthwise ? pick([1, 2]) : pick([1, 3, 4, 8, 12, 16, 20, 32, 40, 64, 255]);
    const stride = pick([1, 1, 2, 2, 3]);
    const kind = depthwise ? pick(["same", "valid"] as const) : pick(["same", "valid", "explicit"] as const);
    const pad: Pad =
      kind === "explicit"
        ? [
            [0, 0],
            [int(0, 3), int(0, 3)],
            [int(0, 3), int(0, 3)],
            [0, 0],
          ]
        : kind;
    return { depthwise, x: [int(1, 9), h, w, channels], filter: [kh, kw, channels, out], stride, pad };
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** y, dx and dW of sum(conv(x, W) * r) on `backend`, or the error the op threw. */
async function run(g: Geometry, backend: string): Promise<Float32Array[] | Error> {
  await switchBackend(backend);
  const conv = (x: tf.Tensor4D, w: tf.Tensor4D) =>
    g.depthwise ? tf.depthwiseConv2d(x, w, g.stride, g.pad as "same" | "valid") : tf.conv2d(x, w, g.stride, g.pad);
  try {
    const x = tf.tensor4d(randomArray(size(g.x), 1, 2), g.x);
    const w = tf.tensor4d(randomArray(size(g.filter), 2, 2), g.filter);
    const y = conv(x, w);
    const r = tf.tensor(randomArray(y.size, 3, 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    const out = [(await y.data()) as Float32Array, (await dx.data()) as Float32Array, (await dw.data()) as Float32Array];
    tf.dispose([x, w, y, r, dx, dw]);
    return out;
  } catch (err) {
    return err as Error;
  }
}

before(async () => {
  await switchBackend("wasm");
});

const CASES = geometries(60, 20261207);

test("the sweep reaches strided, padded, depthwise, odd-channel, 255-channel and empty-output geometries", () => {
  const outputSide = (g: Geometry) => Math.ceil((g.x[2] - (g.pad === "valid" ? g.filter[1] - 1 : 0)) / g.stride);
  assert.ok(CASES.some((g) => g.stride > 1 && g.pad !== "valid"));
  assert.ok(CASES.some((g) => Array.isArray(g.pad)));
  assert.ok(CASES.some((g) => g.depthwise));
  assert.ok(CASES.some((g) => g.x[3] % 4 !== 0));
  assert.ok(CASES.some((g) => g.filter[3] === 255));
  assert.ok(CASES.some((g) => g.pad === "valid" && outputSide(g) <= 0));
  assert.ok(CASES.some((g) => g.x[0] >= 8));
});

for (const [i, g] of CASES.entries()) {
  const label = `${g.depthwise ? "depthwise" : "conv2d"} x ${g.x.join("x")}, filter ${g.filter.join("x")}, stride ${g.stride}, pad ${JSON.stringify(g.pad)}`;
  test(`sweep case ${i}: ${label}: wasm on 2 threads gives the cpu backend's y, dx and dW`, async () => {
    const expected = await run(g, "cpu");
    const got = await run(g, "wasm");
    if (expected instanceof Error) {
      // A geometry TensorFlow.js refuses (a negative output size): refused on wasm too (the
      // messages differ: cpu's is V8's "Invalid typed array length", wasm's names the shape).
      assert.ok(got instanceof Error, `cpu threw "${expected.message}", wasm did not`);
      return;
    }
    if (got instanceof Error) assert.fail(`wasm threw: ${got.message}`);
    for (const [k, name] of ["y", "dx", "dW"].entries()) {
      const a: Float32Array = got[k],
        b: Float32Array = expected[k];
      assert.equal(a.length, b.length, `${name}: ${a.length} values against ${b.length}`);
      let scale = 1e-6,
        worst = 0;
      for (let j = 0; j < b.length; j++) {
        scale = Math.max(scale, Math.abs(b[j]));
        worst = Math.max(worst, Math.abs(a[j] - b[j]));
      }
      assert.ok(worst <= 1e-5 * scale + 1e-6, `${name}: off by ${worst} (largest value ${scale})`);
    }
  });
}
