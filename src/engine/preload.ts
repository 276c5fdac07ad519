// The names every cell sees without importing: tf, aq, lab and the display helpers. Their
// types come from import declarations given to the compiler (completion and hover work);
// their values load on first use, so start-up does not wait for TensorFlow.js.
import * as path from "node:path";
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

/** Raised instead of ending the kernel's process from a cell. */
export class KernelExitError extends Error {
  override name = "KernelExitError";
}

function refuse(call: string): never {
  throw new KernelExitError(
    `${call} would end the kernel's process, not just this cell (it serves every cell and ` +
      `the notebook's connection). To start over, restart the kernel (Kernel > Restart); to stop a cell, throw an error.`,
  );
}

/** Signals that only ask whether a process exists (kill(pid, 0)) are harmless. */
const isProbe = (signal: unknown) => signal === 0 || signal === "0";

/**
 * The `process` cells see (and get from require("process")): the real one, except that
 * exit, abort and signals to the kernel itself raise KernelExitError. A Proxy, so every
 * other property, getter and method is the real process's.
 */
export const guardedProcess: NodeJS.Process = new Proxy(process, {
  get(target, prop) {
    switch (prop) {
      case "exit":
        return (code?: number) => refuse(`process.exit(${code ?? ""})`);
      case "reallyExit":
        return (code?: number) => refuse(`process.reallyExit(${code ?? ""})`);
      case "abort":
        return () => refuse("process.abort()");
      case "kill":
        return (pid: number, signal?: string | number) => {
          const self = pid === target.pid || pid === 0 || pid === -target.pid;
          if (self && !isProbe(signal)) refuse(`process.kill(process.pid${signal === undefined ? "" : `, ${JSON.stringify(signal)}`})`);
          return target.kill(pid, signal);
        };
      default:
        return Reflect.get(target, prop, target);
    }
  },
});
