// The names every cell sees without importing: tf, aq, lab and the display helpers. Their
// types come from import declarations given to the compiler (completion and hover work);
// their values load on first use, so start-up does not wait for TensorFlow.js.
import * as path from "path";
import { KERNEL_ROOT } from "./compiler";
import { defineLazy, type Namespace } from "./namespace";

const DIST = path.join(KERNEL_ROOT, "dist", "src");
const modulePath = (p: string) => p.split(path.sep).join("/");

const TFJS = path.join(KERNEL_ROOT, "node_modules", "@tensorflow", "tfjs");
const ARQUERO = path.join(KERNEL_ROOT, "node_modules", "arquero");
const LAB = path.join(DIST, "index");
const DISPLAY = path.join(DIST, "display", "index");

export const PRELUDE_DECL =
  `import * as tf from "${modulePath(TFJS)}";\n` +
  `import * as aq from "${modulePath(ARQUERO)}";\n` +
  `import * as lab from "${modulePath(LAB)}";\n` +
  `import { display, clearOutput, input, figure } from "${modulePath(DISPLAY)}";\n`;

export function preload(ns: Namespace): void {
  defineLazy(ns, "tf", () => require(TFJS));
  defineLazy(ns, "aq", () => require(ARQUERO));
  defineLazy(ns, "lab", () => require(LAB));
  for (const name of ["display", "clearOutput", "input", "figure"]) defineLazy(ns, name, () => require(DISPLAY)[name]);
}
