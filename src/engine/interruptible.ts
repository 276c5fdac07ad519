// Runs blocking JavaScript so that SIGINT (the kernel's interrupt) stops it: Node's vm
// interrupts only code that runs inside a script started with breakOnSigint.
import * as vm from "node:vm";

const trampoline = new vm.Script("globalThis.__lab_blocking()", { filename: "interruptible" });

export function runInterruptible<T>(fn: () => T): T {
  const g = globalThis as { __lab_blocking?: () => T };
  const outer = g.__lab_blocking;
  g.__lab_blocking = fn;
  try {
    return trampoline.runInThisContext({ breakOnSigint: true }) as T;
  } finally {
    g.__lab_blocking = outer;
  }
}
