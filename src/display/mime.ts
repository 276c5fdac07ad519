// Turns a value into a Jupyter mime bundle. Order: the value's own
// `[Symbol.for("Jupyter.display")]()` (the protocol Deno's kernel uses), then the built-in
// reprs (tensors, arquero tables, plotly figures, images), then text/plain.
import { inspect } from "node:util";

/** A Jupyter mime bundle: mime type -> data (string, or JSON for JSON types). */
export type MimeBundle = Record<string, unknown>;

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

export interface Rich {
  data: MimeBundle;
  /** What an update of a shown output carries, where it differs from data (plotly.ts says why). */
  updateData?: MimeBundle;
  metadata: Record<string, unknown>;
}

/** A repr for one kind of value; returns undefined when the value is not its kind. */
export type Repr = (value: unknown) => Rich | undefined;

const reprs: Repr[] = [];

/** Registers a repr; later registrations are tried first. */
export function registerRepr(repr: Repr): void {
  reprs.unshift(repr);
}

/**
 * Work a value needs before it can be shown synchronously (a webgpu tensor's values are read
 * from the device, which only an asynchronous read can do under Node); undefined if none.
 */
export type Preparation = (value: unknown) => Promise<unknown> | undefined;

const preparations: Preparation[] = [];

export function registerPreparation(prepare: Preparation): void {
  preparations.push(prepare);
}

/** Awaits what the value's repr needs first; the engine calls it before a cell's result is shown. */
export async function prepareForDisplay(value: unknown): Promise<void> {
  for (const prepare of preparations) {
    try {
      await prepare(value);
    } catch {
      // A read that fails leaves the repr to say what it can show.
    }
  }
}

export function textPlain(value: unknown): string {
  return typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, colors: false, maxArrayLength: 50 });
}

export function toMimeBundle(value: unknown): Rich {
  const own = (value as { [JUPYTER_DISPLAY]?: () => unknown } | null)?.[JUPYTER_DISPLAY];
  if (typeof own === "function") {
    const data = own.call(value) as MimeBundle;
    if (data && typeof data === "object") {
      return { data: "text/plain" in data ? data : { ...data, "text/plain": textPlain(value) }, metadata: {} };
    }
  }
  for (const repr of reprs) {
    try {
      const rich = repr(value);
      if (rich) return rich;
    } catch {
      // A repr that fails on an odd value must not hide the value: fall through to text.
    }
  }
  return { data: { "text/plain": textPlain(value) }, metadata: {} };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
