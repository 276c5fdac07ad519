// The notebook the browser test writes and runs: one cell per kind of output a person
// meets (live training chart, shape table, arquero table, images, a plotly figure, an
// in-place update, an error, console output), each found again by its key.
import { KERNEL_NAME } from "./jupyter-server";

export const UPDATES = 5;
export const TRAIN_EPOCHS = 12;
export const TRAIN_BATCHES = 8;

interface TestCell {
  key: string;
  source: string;
  tags?: string[];
}

export const UI_CELLS: TestCell[] = [
  {
    key: "setup",
    source: `// The toolkit's backend choice (cpu here: the tiny models below train faster on it).
await lab.initBackend({ prefer: "cpu" });
tf.getBackend()`,
  },
  {
    key: "training",
    source: `// A tiny classifier (inside or outside a circle) trained with the live training view.
lab.manualSeed(0);
class TinyNet extends lab.Module {
  fc1 = this.add("fc1", new lab.Linear(2, 16));
  fc2 = this.add("fc2", new lab.Linear(16, 2));
  forward(x: tf.Tensor) { return this.fc2.forward(tf.relu(this.fc1.forward(x as tf.Tensor2D))); }
}
function circle(n: number, seed: number) {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 2], -1, 1, "float32", seed);
    return { images: x, targets: tf.cast(tf.less(tf.sum(tf.square(x), 1), 0.5), "int32") };
  });
}
const net = new TinyNet();
const trainer = new lab.Trainer({
  model: net, epochs: ${TRAIN_EPOCHS}, optimizer: "Adam", lr0: 0.02, nbs: null, clipGradNorm: null,
  data: { length: ${TRAIN_BATCHES}, *[Symbol.iterator]() { for (let i = 0; i < ${TRAIN_BATCHES}; i++) yield circle(32, i); } },
  loss: (out: unknown, b: { targets: tf.Tensor }) => lab.crossEntropy(out as tf.Tensor, b.targets) as tf.Scalar,
  validate: () => tf.tidy(() => {
    const val = circle(256, 1234);
    const pred = tf.argMax(net.forward(val.images) as tf.Tensor, 1);
    return { accuracy: tf.mean(tf.cast(tf.equal(pred, val.targets), "float32")).dataSync()[0] };
  }),
});
lab.liveTrainingView(trainer, { runName: "tiny-circle", title: "TinyNet on the circle task" });
const history = await trainer.fit();`,
  },
  {
    key: "tensors",
    source: `// A batch whose targets were built from the wrong loader: 64 rows next to 32 logits.
const images = tf.zeros([32, 64, 64, 3]);
const logits = tf.randomNormal([32, 10], 0, 1, "float32", 7);
const targets = tf.oneHot(tf.zeros([64], "int32"), 10);
const features = tf.zeros([32, 256]);`,
  },
  { key: "shapes", source: "%shapes" },
  {
    key: "table",
    source: `aq.table({ epoch: [1, 2, 3, 4], box: [0.081, 0.064, 0.055, 0.049], obj: [0.032, 0.029, 0.027, 0.026], "mAP@0.5": [0.12, 0.31, 0.44, 0.52] })`,
  },
  {
    key: "image",
    source: `// A synthetic 96x128 image with two labelled boxes.
const picture = tf.tidy(() => tf.stack([
  tf.tile(tf.linspace(0, 1, 128).reshape([1, 128]), [96, 1]),
  tf.tile(tf.linspace(1, 0, 96).reshape([96, 1]), [1, 128]),
  tf.fill([96, 128], 0.5),
], 2));
await lab.drawDetections(picture, [[8, 10, 60, 70, 0.91, 0], [70, 30, 120, 90, 0.67, 1]], { names: ["cat", "dog"] })`,
  },
  {
    key: "figure",
    source: `figure([
  { x: [1, 2, 3, 4], y: [1.0, 0.7, 0.55, 0.5], type: "scatter", mode: "lines+markers", name: "train" },
  { x: [1, 2, 3, 4], y: [1.1, 0.8, 0.7, 0.68], type: "scatter", mode: "lines+markers", name: "val" },
], { title: "loss", height: 320 })`,
  },
  {
    key: "update",
    source: `display("value 0", { displayId: "counter" });
for (let i = 1; i <= ${UPDATES}; i++) {
  await new Promise((r) => setTimeout(r, 100));
  display(\`value \${i}\`, { displayId: "counter", update: true });
}`,
  },
  {
    key: "figure-update",
    source: `// A loss curve that grows in place: one chart, ${UPDATES} updates.
const losses = [1.0];
display(figure([{ x: [0], y: losses, type: "scatter", name: "loss" }], { title: "loss, updated in place", height: 300 }), { displayId: "loss-curve" });
for (let i = 1; i <= ${UPDATES}; i++) {
  await new Promise((r) => setTimeout(r, 100));
  losses.push(losses[i - 1] * 0.8);
  display(figure([{ x: losses.map((_, k) => k), y: losses, type: "scatter", name: "loss" }], { title: "loss, updated in place", height: 300 }), { displayId: "loss-curve", update: true });
}`,
  },
  {
    key: "error",
    tags: ["raises-exception"],
    source: `lab.crossEntropy(logits, tf.zeros([64], "int32"))`,
  },
  { key: "after-error", source: `console.log("kernel alive after the error:", tf.tensor([1, 2, 3]).sum().dataSync()[0]);` },
];

export const cellIndex = (key: string) => UI_CELLS.findIndex((c) => c.key === key);

/** nbformat 4 JSON for code cells (a source, or a source with tags), with the tfjs-lab kernelspec. */
export function notebookJson(cells: (string | { source: string; tags?: string[] })[]): string {
  const lines = (s: string) => s.split("\n").map((l, i, all) => (i < all.length - 1 ? `${l}\n` : l));
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 4,
      metadata: {
        kernelspec: { name: KERNEL_NAME, display_name: "TypeScript (tfjs-lab)", language: "typescript" },
        language_info: { name: "typescript" },
      },
      cells: cells
        .map((c) => (typeof c === "string" ? { source: c } : c))
        .map((c) => ({
          cell_type: "code",
          execution_count: null,
          outputs: [],
          metadata: c.tags ? { tags: c.tags } : {},
          source: lines(c.source),
        })),
    },
    null,
    1,
  );
}

/** nbformat 4 JSON for UI_CELLS. */
export function uiNotebookJson(): string {
  return notebookJson(UI_CELLS);
}
