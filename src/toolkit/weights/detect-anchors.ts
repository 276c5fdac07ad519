// Detect's `anchors` buffer as YOLOv5 stores it in a state_dict: `model.<last>.anchors`,
// [nl, na, 2] in grid units (pixels divided by each level's stride). One owner for its
// name and both conversions, used by the .pt and safetensors readers and the writer.
import type { YOLOv5 } from "../nn/yolo";
import { frameworkError } from "../nn/errors";
import type { TorchLayoutTensor } from "./state-dict";

/** The state_dict key of the model's Detect anchors buffer. */
export function detectAnchorsKey(model: YOLOv5): string {
  return `model.${model.model.length - 1}.anchors`;
}

/** The buffer to store: [nl, na, 2] in grid units, flattened. */
export function detectAnchorsTensor(model: YOLOv5): { name: string; shape: number[]; data: Float32Array } {
  const d = model.detect;
  return { name: detectAnchorsKey(model), shape: [d.nl, d.na, 2], data: Float32Array.from(d.anchorsInGridUnits().flat(2)) };
}

/**
 * The stored anchors in pixels per level ([w0,h0, w1,h1, ...], what `setAnchors` takes), or
 * undefined when the file has none. Checks the shape against the model first and changes
 * nothing, so a caller can validate before it loads any weight.
 */
export function storedAnchorsInPixels(model: YOLOv5, state: Map<string, TorchLayoutTensor>, file: string): number[][] | undefined {
  const key = detectAnchorsKey(model);
  const stored = state.get(key);
  if (!stored) return undefined;
  const [nl, na, two] = stored.shape;
  const strides = model.stride;
  if (stored.shape.length !== 3 || nl !== strides.length || na !== model.detect.na || two !== 2) {
    throw frameworkError(
      "ValueError",
      `${file}: ${key} has shape [${stored.shape.join(", ")}] but the yaml's Detect has ${strides.length} levels of ${model.detect.na} anchors`,
    );
  }
  return Array.from({ length: nl }, (_, l) => Array.from({ length: 2 * na }, (_, j) => stored.data[l * na * 2 + j] * strides[l]));
}
