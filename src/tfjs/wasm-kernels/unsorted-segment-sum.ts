// UnsortedSegmentSum for wasm, which lacks it: tf.gather's gradient needs it, so without it
// no loss that gathers (YOLOv5's ComputeLoss picks its positive cells with gather) trains
// on wasm. ScatterNd sums updates that land on the same index, which is exactly a segment
// sum: out[segmentIds[i]] += x[i].
import type { Info, KernelCalls } from "./kernel-calls";

export function unsortedSegmentSum(calls: KernelCalls, x: Info, segmentIds: Info, attrs: { numSegments: number }): Info {
  const segRank = segmentIds.shape.length;
  const indices = calls.reshape(segmentIds, [...segmentIds.shape, 1]);
  const out = calls.run("ScatterNd", { indices, updates: x }, { shape: [attrs.numSegments, ...x.shape.slice(segRank)] });
  calls.free(indices);
  return out;
}
