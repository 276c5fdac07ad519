// The line above a live training chart: `epoch 3/10  batch 12/40  8.1 img/s  ETA 0:42  loss 0.123`
// (epochs and batches counted from 1, as YOLOv5 prints them), and its end-of-run summary.
import { escapeHtml, JUPYTER_DISPLAY } from "../../display";

/** m:ss, or h:mm:ss from an hour on. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  const ss = String(sec).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4));
}

export interface ProgressState {
  epoch: number; // 0-based
  epochs?: number;
  batch: number; // 0-based
  batches?: number;
  imgsPerSec?: number;
  etaMs?: number;
  loss?: number;
  items?: Record<string, number>;
}

export function progressText(p: ProgressState): string {
  const parts = [
    `epoch ${p.epoch + 1}${p.epochs ? `/${p.epochs}` : ""}`,
    `batch ${p.batch + 1}${p.batches && Number.isFinite(p.batches) ? `/${p.batches}` : ""}`,
  ];
  if (p.imgsPerSec !== undefined && Number.isFinite(p.imgsPerSec)) parts.push(`${p.imgsPerSec.toFixed(1)} img/s`);
  if (p.etaMs !== undefined && Number.isFinite(p.etaMs)) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  const items = Object.entries(p.items ?? {});
  if (items.length) parts.push(items.map(([k, v]) => `${k} ${short(v)}`).join(" "));
  else if (p.loss !== undefined) parts.push(`loss ${short(p.loss)}`);
  return parts.join("  ");
}

export interface RunSummary {
  status: "done" | "aborted" | "failed";
  epochsCompleted: number;
  epochs?: number;
  elapsedMs: number;
  lastLoss?: number;
  lastMetrics?: Record<string, number>;
  error?: string;
}

export function summaryText(s: RunSummary): string {
  const of = s.epochs ? `/${s.epochs}` : "";
  const head =
    s.status === "done"
      ? `done: ${s.epochsCompleted}${of} epochs in ${formatDuration(s.elapsedMs)}`
      : s.status === "aborted"
        ? `stopped after ${s.epochsCompleted}${of} epochs (${formatDuration(s.elapsedMs)})`
        : `failed after ${s.epochsCompleted}${of} epochs (${formatDuration(s.elapsedMs)}): ${s.error ?? "error"}`;
  const tail: string[] = [];
  if (s.lastLoss !== undefined && Number.isFinite(s.lastLoss)) tail.push(`train loss ${short(s.lastLoss)}`);
  for (const [k, v] of Object.entries(s.lastMetrics ?? {})) tail.push(`${k} ${short(v)}`);
  return tail.length ? `${head}  ${tail.join("  ")}` : head;
}

/** A line of text that displays as plain text and as a monospace line in HTML. */
export class ProgressLine {
  constructor(
    readonly text: string,
    readonly runName = "",
  ) {}
  [JUPYTER_DISPLAY]() {
    const name = this.runName ? `<b>${escapeHtml(this.runName)}</b>  ` : "";
    return {
      "text/plain": this.runName ? `${this.runName}  ${this.text}` : this.text,
      "text/html": `<pre class="tfjs-lab-progress" style="margin:0">${name}${escapeHtml(this.text)}</pre>`,
    };
  }
  toString(): string {
    return this.text;
  }
}
