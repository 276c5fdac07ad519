// Summary rows of a tfjs LayersModel (tf.sequential, tf.model): its layers at depth 1, with
// their static output shapes (batch taken from the input shape) and Keras's parameter
// counts; non-trainable weights (BatchNormalization's moving statistics) count as
// non-trainable parameters, as Keras reports them.
import type { LayersModelLike } from "./namespace-values";
import { finishRows, type SummaryRow } from "./summary-rows";

function resolveShape(shape: unknown, batch: number): number[] | null {
  const s = Array.isArray(shape) && Array.isArray(shape[0]) ? shape[0] : shape;
  if (!Array.isArray(s)) return null;
  return (s as (number | null)[]).map((d, i) => (d === null ? (i === 0 ? batch : 1) : d));
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function layersModelSummaryRows(
  model: LayersModelLike,
  inputShape?: number[],
): { rows: SummaryRow[]; inputShape: number[]; inputBytes: number } {
  const input = inputShape ?? resolveShape(model.inputs[0]?.shape, 1) ?? [1];
  const batch = input[0];
  const rows: SummaryRow[] = [];
  const top: SummaryRow = {
    className: model.getClassName(),
    path: "",
    depth: 0,
    depthIndex: 0,
    key: model,
    isLeaf: false,
    executed: true,
    outputShape: resolveShape(model.outputs[0]?.shape, batch),
    outputBytes: 0,
    numParams: model.countParams(),
    trainableParams: 0,
    paramBytes: 0,
    macs: 0,
    isRecursive: false,
    descendants: [],
  };
  rows.push(top);
  for (const layer of model.layers) {
    const trainable = layer.trainableWeights.reduce((s, w) => s + size(w.shape), 0);
    const fixed = layer.nonTrainableWeights.reduce((s, w) => s + size(w.shape), 0);
    const out = resolveShape(layer.outputShape, batch);
    const className = layer.getClassName();
    const spatial = out ? size(out.slice(0, -1)) : 0;
    const macs = out ? (className.includes("Conv") ? trainable * spatial : batch * trainable) : 0;
    rows.push({
      className,
      path: layer.name,
      depth: 1,
      depthIndex: 0,
      key: layer,
      isLeaf: true,
      executed: true,
      outputShape: out,
      outputBytes: out ? size(out) * 4 : 0,
      numParams: trainable + fixed,
      trainableParams: trainable,
      paramBytes: (trainable + fixed) * 4,
      macs,
      isRecursive: false,
      descendants: [],
    });
  }
  top.trainableParams = rows.slice(1).reduce((s, r) => s + r.trainableParams, 0);
  finishRows(rows);
  return { rows, inputShape: input, inputBytes: size(input) * 4 };
}
