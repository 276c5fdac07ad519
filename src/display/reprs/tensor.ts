// Tensors show dtype, shape, bytes and the backend that holds their data, then their values
// (truncated as tfjs does).
import type * as tfTypes from "@tensorflow/tfjs";
import { escapeHtml, registerPreparation, registerRepr, type Rich } from "../mime";
import { backendOf } from "../../tfjs/internals";
import { tensorBytes } from "../../tfjs/tensor-bytes";
import { valuesOnlyOnGpu } from "../../tfjs/webgpu/host-values";

export function isTensor(v: unknown): v is tfTypes.Tensor {
  const t = v as tfTypes.Tensor | null;
  return (
    !!t &&
    typeof t === "object" &&
    Array.isArray((t as any).shape) &&
    typeof (t as any).dtype === "string" &&
    typeof (t as any).dataSync === "function" &&
    typeof (t as any).dataId === "object"
  );
}

export { tensorBytes };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024,
    i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function tensorHeader(t: tfTypes.Tensor): string {
  return `Tensor ${t.dtype} [${t.shape.join(", ")}] ${formatBytes(tensorBytes(t))} on ${backendOf(t)}`;
}

function tensorRepr(v: unknown): Rich | undefined {
  if (!isTensor(v)) return undefined;
  if (v.isDisposed) return { data: { "text/plain": `Tensor ${v.dtype} [${v.shape.join(", ")}] (disposed)` }, metadata: {} };
  const header = tensorHeader(v);
  // display(t) cannot wait for the device; a cell's result was read first (below).
  const values = valuesOnlyOnGpu(v)
    ? "(values in GPU memory: show the tensor as a cell's result, or print await t.array())"
    : v.toString().replace(/^Tensor\n/, "");
  return {
    data: {
      "text/plain": `${header}\n${values}`,
      "text/html": `<div class="tfjs-lab-tensor"><b>${escapeHtml(header)}</b><pre>${escapeHtml(values)}</pre></div>`,
    },
    metadata: {},
  };
}

registerRepr(tensorRepr);
// A cell's result on webgpu: one asynchronous read keeps the values on the CPU, so the repr
// shows them without the synchronous read Node cannot do.
registerPreparation((v) => (isTensor(v) && !v.isDisposed && valuesOnlyOnGpu(v) ? v.data() : undefined));
