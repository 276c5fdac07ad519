// Summary rows of a toolkit Module: one forward pass of zeros in eval mode, with every
// module's forward temporarily wrapped to record its output shape (torchinfo's forward
// hooks), then restored. Without an input shape, the rows come from the module tree alone.
import type { ModuleLike } from "./namespace-values";
import { loadTf, type Tensor } from "../../tfjs/internals";
import { isTensor } from "../../display";
import { tensorBytes } from "../../tfjs/tensor-bytes";
import { finishRows, type SummaryRow } from "./summary-rows";

interface TreeInfo {
  path: string;
  depth: number;
  parent?: ModuleLike;
}

function moduleTree(model: ModuleLike): Map<ModuleLike, TreeInfo> {
  const tree = new Map<ModuleLike, TreeInfo>();
  const visit = (m: ModuleLike, path: string, depth: number, parent?: ModuleLike) => {
    if (tree.has(m)) return;
    tree.set(m, { path, depth, parent });
    for (const [name, child] of m.children()) visit(child, path ? `${path}.${name}` : name, depth + 1, m);
  };
  visit(model, "", 0);
  return tree;
}

/** The first tensor of an output (torchinfo's rule for lists), or undefined. */
function firstTensor(out: unknown): Tensor | undefined {
  if (isTensor(out)) return out;
  if (Array.isArray(out))
    for (const o of out) {
      const t = firstTensor(o);
      if (t) return t;
    }
  return undefined;
}

function newRow(m: ModuleLike, info: TreeInfo): SummaryRow {
  const params = m.namedParameters();
  return {
    className: m.constructor.name,
    path: info.path,
    depth: info.depth,
    depthIndex: 0,
    key: m,
    isLeaf: m.children().length === 0,
    executed: false,
    outputShape: null,
    outputBytes: 0,
    numParams: params.reduce((s, [, p]) => s + p.size, 0),
    trainableParams: params.reduce((s, [, p]) => s + (p.trainable === false ? 0 : p.size), 0),
    paramBytes: params.reduce((s, [, p]) => s + tensorBytes(p), 0),
    macs: 0,
    isRecursive: false,
    descendants: [],
  };
}

/** torchinfo's calculate_macs: conv weights/bias x (batch x spatial output), others x batch. */
function leafMacs(m: ModuleLike, className: string, out: number[]): number {
  let macs = 0;
  for (const [name, p] of m.namedParameters()) {
    if (name === "weight" || name === "bias") {
      macs += className.includes("Conv") ? p.size * out.slice(0, -1).reduce((a, b) => a * b, 1) : (out[0] ?? 1) * p.size;
    } else if (/weight|bias/.test(name)) {
      macs += out.slice(0, 2).reduce((a, b) => a * b, 1) * p.size;
    }
  }
  return macs;
}

/** Inserts the containers that never ran (ModuleList, ...) above their first listed child. */
function addMissingContainers(rows: SummaryRow[], tree: Map<ModuleLike, TreeInfo>): SummaryRow[] {
  const out: SummaryRow[] = [];
  const current = new Map<number, object>();
  const listed = new Set<object>();
  for (const row of rows) {
    const chain: ModuleLike[] = [];
    for (let p = tree.get(row.key as ModuleLike)?.parent; p; p = tree.get(p)?.parent) chain.unshift(p);
    for (let d = 1; d < row.depth; d++) {
      const ancestor = chain[d];
      if (ancestor && current.get(d) !== ancestor) {
        const container = newRow(ancestor, tree.get(ancestor)!);
        container.isRecursive = container.numParams > 0 && listed.has(ancestor);
        out.push(container);
        listed.add(ancestor);
        current.set(d, ancestor);
        for (const k of [...current.keys()]) if (k > d) current.delete(k);
      }
    }
    out.push(row);
    listed.add(row.key);
    current.set(row.depth, row.key);
    for (const k of [...current.keys()]) if (k > row.depth) current.delete(k);
  }
  return out;
}

export function moduleSummaryRows(model: ModuleLike, inputShape?: number[]): { rows: SummaryRow[]; inputBytes: number } {
  const tree = moduleTree(model);
  if (!inputShape) {
    const rows = [...tree.entries()].map(([m, info]) => newRow(m, info));
    finishRows(rows);
    return { rows, inputBytes: 0 };
  }
  const tf = loadTf();
  const rows: SummaryRow[] = [];
  const listed = new Set<object>();
  const saved: { m: ModuleLike; own?: PropertyDescriptor; training: boolean }[] = [];
  for (const [m, info] of tree) {
    saved.push({ m, own: Object.getOwnPropertyDescriptor(m, "forward"), training: m.training });
    const original = m.forward;
    m.training = false;
    m.forward = function (this: ModuleLike, ...args: unknown[]) {
      const row = newRow(m, info);
      row.isRecursive = row.numParams > 0 && listed.has(m);
      listed.add(m);
      rows.push(row);
      const out = original.apply(this, args);
      const t = firstTensor(out);
      if (t) {
        row.outputShape = [...t.shape];
        row.outputBytes = tensorBytes(t);
        if (row.isLeaf) row.macs = leafMacs(m, row.className, row.outputShape);
      }
      row.executed = true;
      return out;
    };
  }
  try {
    tf.tidy(() => {
      model.forward(tf.zeros(inputShape));
    });
  } finally {
    for (const { m, own, training } of saved) {
      if (own) Object.defineProperty(m, "forward", own);
      else delete (m as Partial<ModuleLike>).forward;
      m.training = training;
    }
  }
  const all = addMissingContainers(rows, tree);
  finishRows(all);
  return { rows: all, inputBytes: inputShape.reduce((a, b) => a * b, 1) * 4 };
}
