import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { distillationLoss, flattenDetectorMaps } from "../../src/toolkit/losses";
import { assertClose, assertPythonError, BACKENDS, finiteDifference, loadFixture, useBackend } from "./helpers";

// the same loss computed by torch (test/losses/make_torch_fixtures.py)
const values = loadFixture("torch-loss-values.json").distillation;
const errors = loadFixture("torch-error-texts.json");

const maps = (which: "student" | "teacher") => values[which].map((data: number[], i: number) => tf.tensor(data, values.shapes[i]));

for (const backend of BACKENDS) {
  test(`distillationLoss equals torch for sigmoid/softmax × bce/kl × temperature (${backend})`, async () => {
    await useBackend(backend);
    const student = maps("student");
    const teacher = maps("teacher");
    assert.equal(values.cases.length, 8);
    for (const c of values.cases) {
      const loss = distillationLoss(student, teacher, { activation: c.activation, kind: c.kind, temperature: c.temperature });
      assertClose(loss.dataSync()[0], c.expected, 1e-5, `${c.activation}/${c.kind}/T=${c.temperature}`);
    }
  });
}

test("flattened maps line up with the eval rows: 640×640 gives [bs, 25200, no]", async () => {
  await useBackend("cpu");
  const no = 85;
  const levels = [80, 40, 20].map((s) => tf.zeros([1, 3, s, s, no]));
  assert.deepEqual(flattenDetectorMaps(levels).shape, [1, 25200, no]);
  // rows are level-major then anchor, y, x, as yolov5's cat(view(bs, -1, no))
  const marked = [tf.zeros([1, 3, 2, 2, 2]), tf.fill([1, 3, 1, 1, 2], 7)];
  const flat = flattenDetectorMaps(marked);
  assert.deepEqual(flat.shape, [1, 15, 2]);
  assert.deepEqual(Array.from(flat.dataSync()).slice(24), [7, 7, 7, 7, 7, 7]);
});

test("softmax (the documented mistake) differs from sigmoid and couples the channels", async () => {
  await useBackend("cpu");
  const student = maps("student");
  const teacher = maps("teacher");
  const sig = distillationLoss(student, teacher, { activation: "sigmoid", kind: "bce" }).dataSync()[0];
  const soft = distillationLoss(student, teacher, { activation: "softmax", kind: "bce" }).dataSync()[0];
  assert.ok(Math.abs(sig - soft) > 0.1, `sigmoid ${sig} vs softmax ${soft}`);
  const same = distillationLoss(teacher, teacher, { activation: "sigmoid", kind: "kl" }).dataSync()[0];
  assertClose(same + 1, 1, 1e-6, "KL(t‖t) = 0");
  // Change one teacher channel (row 0, objectness): under sigmoid only that channel's
  // gradient on the student changes; under softmax the whole row's channels do.
  const bumped = teacher.map((t: tf.Tensor, i: number) => {
    if (i > 0) return t;
    const v = Float32Array.from(t.dataSync());
    v[4] += 3;
    return tf.tensor(v, t.shape);
  });
  const no = student[0].shape[4] as number;
  for (const [activation, changedInRow0] of [
    ["sigmoid", 1],
    ["softmax", no],
  ] as const) {
    const grad = (tch: tf.Tensor[]) =>
      tf
        .grad((x: tf.Tensor) => distillationLoss([x, student[1], student[2]], tch, { activation, kind: "bce" }))(student[0])
        .dataSync();
    const before = Array.from(grad(teacher));
    const after = grad(bumped);
    const changed = Array.from(before, (b, k): number => (Math.abs(b - after[k]) > 1e-9 ? 1 : 0));
    assert.equal(
      changed.slice(0, no).reduce((a, b) => a + b, 0),
      changedInRow0,
      `${activation}: channels of row 0 affected`,
    );
    assert.equal(
      changed.slice(no).reduce((a, b) => a + b, 0),
      0,
      `${activation}: other rows unaffected`,
    );
  }
});

test("student and teacher rows that do not line up raise PyTorch's elementwise error (case 3)", async () => {
  await useBackend("cpu");
  const at = (h: number, w: number, no = 85) => [8, 16, 32].map((s) => tf.zeros([1, 3, h / s, w / s, no]));
  assertPythonError(
    () => distillationLoss(at(640, 640), at(384, 640), { activation: "sigmoid", kind: "bce" }),
    errors.elementwise_rows_mismatch,
  );
  assertPythonError(() => distillationLoss(at(640, 640), at(640, 640, 133), { activation: "sigmoid", kind: "kl" }), {
    name: "RuntimeError",
    message: "The size of tensor a (85) must match the size of tensor b (133) at non-singleton dimension 2",
  });
  assert.deepEqual(
    errors.elementwise_no_mismatch.message,
    "The size of tensor a (85) must match the size of tensor b (133) at non-singleton dimension 2",
  );
});

test("distillationLoss gradient flows to the student only and matches finite differences", async () => {
  await useBackend("cpu");
  const student = maps("student");
  const teacher = maps("teacher");
  for (const activation of ["sigmoid", "softmax"] as const) {
    const f = (x: tf.Tensor) => distillationLoss([x, student[1], student[2]], teacher, { activation, kind: "kl", temperature: 2 });
    const grad = tf.grad(f)(student[0]).dataSync();
    assert.ok(grad.every(Number.isFinite));
    for (const index of [0, 3, 50]) {
      assertClose(grad[index], finiteDifference(f, student[0], index, 1e-2), 2e-2, `${activation} grad[${index}]`);
    }
    const teacherGrad = tf.grad((t: tf.Tensor) => distillationLoss(student, [t, teacher[1], teacher[2]], { activation, kind: "bce" }))(
      teacher[0],
    );
    assert.equal(tf.max(tf.abs(teacherGrad)).dataSync()[0], 0, "teacher is a constant");
  }
});
