// %%trace: runs the cell under tfjs's profiler and shows every kernel it ran (input and
// output shapes, time), with the toolkit calls (losses, model forwards) in between. When
// the cell fails, it says which call or kernel failed, with its input shapes and the
// variables that fed it, and then raises the cell's own error unchanged.
import { defineMagic, parseMagicArgs, UsageError, type MagicContext } from "./registry";
import { userNames } from "../engine/namespace";
import { isInterrupt } from "../engine/errors";
import { formatBytes } from "../display";
import { CallRecorder, type CallRecord, type CallArg } from "./inspect/call-recorder";
import { tensorHolders, tensorsIn } from "./inspect/namespace-values";
import { profileKernels, profiledKernelCount, type KernelFailure, type KernelProfile, type ProfiledKernel } from "../tfjs/kernel-profile";
import type { Tensor } from "../tfjs/internals";
import { shapeText } from "./inspect/format";
import { showTable } from "./inspect/show-table";

type KernelRecord = ProfiledKernel;

interface TraceRow {
  index: string;
  op: string;
  inputs: string;
  outputs: string;
  ms: number | null;
  count: number;
  failed: boolean;
}

const MAX_ROWS = 200;

const shapesText = (shapes: readonly (readonly number[] | null)[]) => shapes.map((s) => shapeText(s as number[] | null)).join(", ");
const msOf = (v: unknown) => (typeof v === "number" ? v : null);

function callLabel(call: CallRecord): string {
  const args = call.args.filter((a) => a.shape || (a.text && a.text !== "undefined" && a.text !== "{…}"));
  return `${call.name}(${args.map((a) => `${a.name} ${a.shape ? shapeText(a.shape) : a.text}`).join(", ")})`;
}

/** Kernels and calls in the order they ran; repeated identical kernels merged when there are too many. */
function traceRows(kernels: KernelRecord[], calls: CallRecord[], failing?: CallRecord): { rows: TraceRow[]; merged: boolean } {
  const merge = kernels.length + calls.length > MAX_ROWS;
  const rows: TraceRow[] = [];
  const seen = new Map<string, TraceRow>();
  let c = 0;
  const pushCalls = (upTo: number) => {
    for (; c < calls.length && calls[c].kernelIndex <= upTo; c++) {
      const call = calls[c];
      rows.push({
        index: "call",
        op: `${"  ".repeat(call.depth)}${callLabel(call)}`,
        inputs: shapesText(call.args.filter((a) => a.shape).map((a) => a.shape!)),
        outputs: call.error ? `\u2717 ${(call.error as Error)?.name ?? "Error"}` : shapesText(call.outputShapes ?? []),
        ms: call.ms,
        count: 1,
        failed: call === failing,
      });
    }
  };
  kernels.forEach((k, i) => {
    pushCalls(i);
    const inputs = shapesText(k.inputShapes),
      outputs = shapesText(k.outputShapes);
    const key = `${k.name}|${inputs}|${outputs}`;
    const again = merge ? seen.get(key) : undefined;
    if (again) {
      again.count++;
      again.ms = again.ms === null || msOf(k.kernelTimeMs) === null ? null : again.ms + msOf(k.kernelTimeMs)!;
      return;
    }
    const row: TraceRow = { index: String(i + 1), op: k.name, inputs, outputs, ms: msOf(k.kernelTimeMs), count: 1, failed: false };
    rows.push(row);
    if (merge) seen.set(key, row);
  });
  pushCalls(Infinity);
  return { rows, merged: merge };
}

/** The variables that hold this tensor, or else tensors of its shape. */
function variablesFor(arg: CallArg, holders: Map<number, string[]>, ns: Record<string, unknown>, names: string[]): string {
  const exact = arg.tensor ? holders.get(arg.tensor.id) : undefined;
  if (exact?.length) return exact.map((n) => `\`${n}\``).join(", ");
  const same = names
    .flatMap((n) => tensorsIn(ns[n], n))
    .filter(({ tensor }) => !tensor.isDisposed && shapeText(tensor.shape) === shapeText(arg.shape));
  if (same.length)
    return `no variable holds it; ${same.length === 1 ? "variable" : "variables"} with this shape: ${same
      .slice(0, 5)
      .map((s) => `\`${s.path}\``)
      .join(", ")}`;
  return "computed in the cell (no variable holds it)";
}

function diagnosis(
  error: unknown,
  call: CallRecord | undefined,
  kernel: KernelFailure | undefined,
  kernels: KernelRecord[],
  ns: Record<string, unknown>,
): string {
  const err = error as Error;
  const lines: string[] = [];
  const names = userNames(ns);
  const holders = tensorHolders(ns, names);
  if (call) {
    lines.push(`%%trace: the cell failed in ${callLabel(call)}`);
    lines.push(`  ${err?.name ?? "Error"}: ${err?.message ?? String(error)}`);
    const tensorArgs = call.args.filter((a) => a.shape);
    for (const a of tensorArgs) lines.push(`  ${a.name} ${shapeText(a.shape)} ${a.dtype}: ${variablesFor(a, holders, ns, names)}`);
    const leads = tensorArgs.filter((a) => a.shape!.length > 0).map((a) => a.shape![0]);
    if (new Set(leads).size > 1)
      lines.push(
        `  leading (batch) dimensions disagree: ${tensorArgs
          .filter((a) => a.shape!.length)
          .map((a) => `${a.name} ${a.shape![0]}`)
          .join(" vs ")}`,
      );
  }
  if (kernel) {
    const inputs = Object.entries(kernel.inputs ?? {}) as [string, Tensor | null][];
    lines.push(
      `${call ? "  inside it, kernel" : "%%trace: the cell failed in kernel"} ${kernel.name}(${shapesText(inputs.map(([, t]) => (t ? t.shape : null)))})`,
    );
    if (!call) {
      lines.push(`  ${err?.name ?? "Error"}: ${err?.message ?? String(error)}`);
      for (const [key, t] of inputs) {
        if (!t) continue;
        const a: CallArg = { name: key, tensor: t, shape: [...t.shape], dtype: t.dtype };
        lines.push(`  input ${a.name} ${shapeText(a.shape)} ${a.dtype}: ${variablesFor(a, holders, ns, names)}`);
      }
    }
  }
  if (!call && !kernel) {
    lines.push(`%%trace: the cell failed outside the recorded calls: ${err?.name ?? "Error"}: ${err?.message ?? String(error)}`);
  }
  if (kernels.length) {
    const last = kernels[kernels.length - 1];
    lines.push(
      `  last kernel that ran: #${kernels.length} ${last.name}(${shapesText(last.inputShapes)}) -> ${shapesText(last.outputShapes)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The trace table: kernels and calls in order, with a note of the totals. */
function showTrace(
  ctx: MagicContext,
  profile: KernelProfile,
  calls: CallRecord[],
  failing: CallRecord | undefined,
  wallMs: number,
  all: boolean,
): void {
  const { kernels } = profile;
  const { rows, merged } = traceRows(kernels, calls, failing);
  const limit = all ? rows.length : MAX_ROWS;
  const aq = require("arquero") as typeof import("arquero");
  const table = aq.table({
    "#": rows.map((r) => r.index),
    kernel: rows.map((r) => r.op),
    ...(merged ? { count: rows.map((r) => r.count) } : {}),
    "input shapes": rows.map((r) => r.inputs),
    "output shapes": rows.map((r) => r.outputs),
    ms: rows.map((r) => (r.ms === null ? null : Number(r.ms.toFixed(3)))),
  });
  const peak = Number.isFinite(profile.peakBytes) ? `, peak ${formatBytes(profile.peakBytes)}` : "";
  const notes = [
    `${kernels.length} kernels, ${calls.length} toolkit calls in ${wallMs.toFixed(1)} ms${peak}, ${profile.newTensors >= 0 ? "+" : ""}${profile.newTensors} tensors (${profile.newBytes >= 0 ? "+" : "-"}${formatBytes(Math.abs(profile.newBytes))})`,
    merged
      ? `identical kernels merged (count column)${rows.length > limit ? `; first ${limit} of ${rows.length} rows shown (--all for every row)` : ""}`
      : "",
  ]
    .filter(Boolean)
    .join("; ");
  const flagged = new Set(rows.flatMap((r, i) => (r.failed ? [i] : [])));
  showTable(ctx, table, { flagged, note: notes, limit });
}

export const traceMagic = defineMagic({
  name: "trace",
  kind: "cell",
  usage: "%%trace [--all]   (then the cell body)",
  help: `Run the cell and record every TensorFlow.js kernel it ran, with input and output shapes
and time, and the toolkit calls among them (loss functions, ComputeLoss.call, forward() of
the models in your variables). Long traces merge identical kernels and stop at ${MAX_ROWS} rows
(--all shows every row). When the cell fails, the failing call or kernel is named with its
input shapes and the variables that fed it, then the cell's own error is raised.`,
  async run(args, ctx, body) {
    const { values } = parseMagicArgs(this, args, { all: { type: "boolean" } }, false);
    if (!body?.trim()) throw new UsageError("%%trace: the cell has no code to trace", this.usage);
    const recorder = new CallRecorder(profiledKernelCount);
    let failure: { error: unknown } | undefined;
    let result: { hasValue: boolean; value?: unknown } = { hasValue: false };
    let profile: KernelProfile;
    const t0 = performance.now();
    try {
      recorder.install(ctx.namespace, userNames(ctx.namespace));
      // The error is caught inside the profiled function so that tfjs finishes its profile.
      profile = await profileKernels(async () => {
        try {
          result = await ctx.runCode(body);
        } catch (e) {
          failure = { error: e };
        }
      });
    } finally {
      recorder.restore();
    }
    const failing = failure ? recorder.failingCall(failure.error) : undefined;
    showTrace(ctx, profile, recorder.calls, failing, performance.now() - t0, values.all === true);
    if (failure && isInterrupt(failure.error)) throw failure.error;
    if (failure) {
      const kernel = profile.failure?.error === failure.error ? profile.failure : undefined;
      ctx.print(diagnosis(failure.error, failing, kernel, profile.kernels, ctx.namespace));
      throw failure.error;
    }
    return result.hasValue ? result.value : undefined;
  },
});
